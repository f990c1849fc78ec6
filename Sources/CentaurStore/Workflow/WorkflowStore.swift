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
}

/// Where the onboarding workflow keeps its state. SQLite implements it now; PostgreSQL can follow without
/// changing callers.
public protocol WorkflowStore: Sendable {
    /// Commits a step atomically; throws ``WorkflowConflict`` when the application's version moved.
    /// Returns the audit entries written.
    @discardableResult
    func commit(_ change: WorkflowChange) async throws -> [AuditEntry]

    func application(id: String) async throws -> ApplicationRecord?
    func application(tokenHash: String) async throws -> ApplicationRecord?
    /// Applications in these states, oldest first (all when `states` is empty).
    func applications(states: [String], limit: Int) async throws -> [ApplicationRecord]
    func documents(applicationID: String) async throws -> [DocumentRecord]
    func latestExtraction(applicationID: String) async throws -> ExtractionRecord?
    func adjustments(applicationID: String) async throws -> [AdjustmentRecord]
    func latestCheck(applicationID: String) async throws -> CheckRecord?
    func decisions(applicationID: String) async throws -> [DecisionRecord]
    /// Labelled examples, oldest first, optionally of one document type.
    func examples(documentType: String?) async throws -> [LabelledExampleRecord]
    /// The audit log in storage order, optionally only the entries about one target.
    func auditEntries(target: String?) async throws -> [AuditEntry]
    /// The newest entry's sequence number and hash, as recorded when it was written.
    func auditHead() async throws -> (seq: Int, hash: String)?

    /// Leases the next due job (queued and due, or running with an expired lease) to `worker` until `leaseUntil`.
    func claimJob(now: Date, leaseUntil: Date, worker: String) async throws -> JobRecord?
    /// Puts a failed job back in the queue after `retryAt`, or marks it failed when `retryAt` is nil.
    func failJob(id: String, error: String, retryAt: Date?, now: Date) async throws
    /// Marks a job done without changing its application (its work was already done or superseded).
    func completeJob(id: String, now: Date) async throws
    func jobs(applicationID: String) async throws -> [JobRecord]
}

/// Files by content: `blobs/ab/abcdef…` under the data directory, named by their SHA-256.
public struct BlobStore: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    public func url(for sha256: String) -> URL {
        root.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(sha256)
    }

    /// Stores the bytes (once: the same content is written only the first time) and returns their hash.
    @discardableResult
    public func put(_ data: Data, sha256: String) throws -> URL {
        let url = url(for: sha256)
        if FileManager.default.fileExists(atPath: url.path) { return url }
        do {
            if !FileManager.default.fileExists(atPath: root.path) { try PrivateFiles.createDirectory(at: root) }
            try PrivateFiles.createDirectory(at: url.deletingLastPathComponent())
            try data.write(to: url, options: .atomic)
            try PrivateFiles.restrict(url.path)
        } catch {
            throw StoreError("cannot store a document under \(root.path): \(error.localizedDescription)")
        }
        return url
    }

    public func get(_ sha256: String) throws -> Data {
        do { return try Data(contentsOf: url(for: sha256)) } catch {
            throw StoreError("document blob \(sha256) is missing from \(root.path)")
        }
    }
}
