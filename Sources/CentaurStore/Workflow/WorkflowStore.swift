import Foundation

/// Everything one step of the workflow writes, committed in one transaction: the application's new row
/// (inserted when `expectedVersion` is nil, else updated only if its version is still `expectedVersion`),
/// the rows the step adds, and its audit entries. Either all of it is stored or none of it.
public struct WorkflowChange: Sendable {
    public var application: ApplicationRecord
    public var expectedVersion: Int?
    public var documents: [DocumentRecord] = []
    /// Ids of documents a new upload replaces.
    public var supersede: [String] = []
    public var extraction: ExtractionRecord?
    public var adjustments: [AdjustmentRecord] = []
    public var check: CheckRecord?
    public var decision: DecisionRecord?
    public var examples: [LabelledExampleRecord] = []
    public var jobs: [JobRecord] = []
    /// A job this step finishes (marked done).
    public var completesJob: String?
    public var audit: [AuditDraft] = []

    public init(application: ApplicationRecord, expectedVersion: Int?) {
        self.application = application
        self.expectedVersion = expectedVersion
    }
}

/// Another writer changed the application first; re-read and try again.
public struct WorkflowConflict: Error, Sendable, CustomStringConvertible {
    public let applicationID: String
    public var description: String { "application \(applicationID) was changed by someone else; reload it and try again" }

    public init(applicationID: String) { self.applicationID = applicationID }
}

/// Applications and what each step of the workflow stored about them. A step is committed with ``commit(_:)``,
/// which writes the application row, its documents, extraction, adjustments, check, decision, labelled examples,
/// jobs and audit entries in one transaction: so one backend implements this protocol together with
/// ``AuditLog``, ``LabelledExampleStore`` and ``JobQueue`` (see ``WorkflowStore``).
public protocol ApplicationStore: Sendable {
    /// Commits a step atomically; throws ``WorkflowConflict`` when the application's version moved.
    /// Returns the audit entries written.
    @discardableResult
    func commit(_ change: WorkflowChange) async throws -> [AuditEntry]

    func application(id: String) async throws -> ApplicationRecord?
    func application(tokenHash: String) async throws -> ApplicationRecord?
    /// Applications in these states, oldest first (all when `states` is empty).
    func applications(states: [ApplicationState], limit: Int) async throws -> [ApplicationRecord]
    func documents(applicationID: String) async throws -> [DocumentRecord]
    func latestExtraction(applicationID: String) async throws -> ExtractionRecord?
    func adjustments(applicationID: String) async throws -> [AdjustmentRecord]
    func latestCheck(applicationID: String) async throws -> CheckRecord?
    func decisions(applicationID: String) async throws -> [DecisionRecord]
}

/// The append-only, hash-chained audit log. Entries are appended only inside ``ApplicationStore/commit(_:)``
/// (numbered and chained in that transaction); this protocol reads them.
public protocol AuditLog: Sendable {
    /// The audit log in storage order, optionally only the entries about one target.
    func auditEntries(target: String?) async throws -> [AuditEntry]
    /// The newest entry's sequence number and hash, as recorded when it was written.
    func auditHead() async throws -> (seq: Int, hash: String)?
}

/// Human corrections kept as labelled data (written by ``ApplicationStore/commit(_:)``).
public protocol LabelledExampleStore: Sendable {
    /// Labelled examples, oldest first, optionally of one document type.
    func examples(documentType: String?) async throws -> [LabelledExampleRecord]
}

/// Everything the onboarding workflow keeps, from one backend: a step's writes to all four commit together.
public typealias WorkflowStore = ApplicationStore & AuditLog & LabelledExampleStore & JobQueue
