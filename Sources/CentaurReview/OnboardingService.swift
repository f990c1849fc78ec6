import CentaurCore
import CentaurExtraction
import CentaurRules
import CentaurStore
import Crypto
import Foundation
import Logging

/// The onboarding workflow over a store: every step checks the state machine, writes its rows and its audit
/// entries in one transaction, and never loses an acknowledged human decision.
///
/// Steps: ``create(marketState:)`` → ``upload(applicationID:kind:name:data:)`` (queues extraction) →
/// ``process(_:)`` (the worker extracts) → ``confirm(applicationID:values:)`` (the applicant; rules and the
/// policy run) → ``claim(applicationID:reviewer:)`` / ``correct(applicationID:documentType:field:value:reason:reviewer:)``
/// / ``decide(applicationID:decision:reason:reviewer:)`` (a reviewer).
public struct OnboardingService: Sendable {
    public let store: any WorkflowStore
    public let blobs: any BlobStore
    public var ruleSet: RuleSet
    public var policy: AutoApprovalPolicy
    public var pipeline: DocumentPipeline
    public var now: @Sendable () -> Date
    public var logger: Logger
    /// Extraction attempts before a job is marked failed.
    public var maxJobAttempts = 4
    /// How long a worker holds a job before another may take it over (a crashed worker's job runs again).
    public var lease: TimeInterval = 120
    /// Wakes the worker when a job is queued.
    public var signal: JobSignal?
    /// The minimum driver age the rules use.
    public var minimumAge = 21
    /// Checks each upload is the document its slot asks for (nil: no check, for tests of other parts).
    public var verifier: DocumentVerifier? = DocumentVerifier()

    public init(store: any WorkflowStore, blobs: any BlobStore, ruleSet: RuleSet, policy: AutoApprovalPolicy = AutoApprovalPolicy(),
                pipeline: DocumentPipeline? = nil, now: @escaping @Sendable () -> Date = Date.init,
                signal: JobSignal? = nil, logger: Logger = .disabled) {
        self.store = store; self.blobs = blobs; self.ruleSet = ruleSet; self.policy = policy
        self.pipeline = pipeline ?? DocumentPipeline(modelUse: .never, logger: logger)
        self.now = now; self.signal = signal; self.logger = logger
    }

    // MARK: Applicant: create and upload

    /// Opens an application and returns its applicant token (shown once; only its hash is kept).
    public func create(marketState: String? = nil, actor: String = "applicant") async throws -> (application: ApplicationRecord, token: String) {
        if let marketState, marketState.count != 2 || !marketState.allSatisfy({ $0.isASCII && $0.isUppercase }) {
            throw WorkflowError(.invalid, "market_state must be a two-letter US state code such as IL (got \"\(marketState)\")")
        }
        let token = "cat_" + Self.randomToken()
        let date = now()
        let application = ApplicationRecord(
            id: "app_" + Self.randomToken(bytes: 12), state: .created, tokenHash: Self.sha256(Data(token.utf8)),
            marketState: marketState, createdAt: date, updatedAt: date)
        var change = WorkflowChange(application: application, expectedVersion: nil)
        change.audit = [AuditDraft(actor: actor, action: "application.created", target: Self.target(application.id),
                                   after: Self.json(["state": .string(application.state.rawValue), "market_state": marketState.map(JSONValue.string) ?? .null]))]
        try await store.commit(change)
        return (application, token)
    }

    /// The application a token opens, or nil.
    public func application(token: String) async throws -> ApplicationRecord? {
        try await store.application(tokenHash: Self.sha256(Data(token.utf8)))
    }

    /// Stores a document and queues extraction; returns at once. Uploads to one application may run in
    /// parallel (a licence's front and back): a step that lost the race is recomputed and committed again.
    public func upload(applicationID: String, kind: DocumentKind, name: String, data: Data, actor: String = "applicant") async throws -> DocumentRecord {
        let document: Document
        do { document = try Document(name: name, data: data) } catch {
            throw WorkflowError(.unreadableDocument, error.description)
        }
        let format = document.format
        let sha = Self.sha256(data)
        _ = try transition(try await load(applicationID), .upload)
        // The same file in two slots is not two documents.
        if kind != .other, let twin = try await store.documents(applicationID: applicationID)
            .first(where: { !$0.superseded && $0.sha256 == sha && $0.kind != kind.rawValue }) {
            let slot = DocumentKind(rawValue: twin.kind)?.expected?.title ?? twin.kind
            throw WorkflowError(.wrongDocument, "\(name) is the same file already uploaded as \(slot); upload \(kind.expected?.title ?? "a different file") instead")
        }
        if let verifier, let expected = kind.expected {
            let problem: DocumentFinding?
            do { problem = try await verifier.problem(with: document, expected: expected) } catch let error as DocumentError {
                throw WorkflowError(.unreadableDocument, error.description)
            }
            if let problem {
                logger.info("upload refused", metadata: ["application.id": "\(applicationID)", "document.kind": "\(kind.rawValue)",
                                                         "finding": "\(problem.code.rawValue)"])
                throw WorkflowError(.wrongDocument, problem.applicantMessage)
            }
        }
        var attempt = 0
        while true {
            attempt += 1
            let application = try await load(applicationID)
            let state = try transition(application, .upload)
            try await blobs.put(data, sha256: sha)
            let date = now()
            let record = DocumentRecord(
                id: "doc_" + Self.randomToken(bytes: 12), applicationID: applicationID, sha256: sha, kind: kind.rawValue, name: name,
                mediaType: format.mediaType, size: data.count, uploadedAt: date)
            var updated = application
            updated.state = state
            updated.updatedAt = date
            updated.lastError = nil
            var change = WorkflowChange(application: updated, expectedVersion: application.version)
            change.documents = [record]
            if kind != .other {
                change.supersede = try await store.documents(applicationID: applicationID)
                    .filter { !$0.superseded && $0.kind == kind.rawValue }.map(\.id)
            }
            let pending = try await store.jobs(subject: applicationID).contains { $0.status == .queued }
            if !pending {
                change.jobs = [JobRecord(id: "job_" + Self.randomToken(bytes: 12), kind: .extraction, subject: applicationID,
                                         tenant: applicationID,  // each applicant is a lane: nobody's uploads wait behind another's
                                         maxAttempts: maxJobAttempts, runAfter: date, createdAt: date, updatedAt: date)]
            }
            change.audit = [AuditDraft(
                actor: actor, action: "document.uploaded", target: Self.target(applicationID),
                before: Self.json(["state": .string(application.state.rawValue)]),
                after: Self.json(["state": .string(state.rawValue), "document": .string(record.id), "kind": .string(kind.rawValue),
                                  "sha256": .string(sha), "size": .number(Double(data.count))]))]
            do {
                try await store.commit(change)
            } catch let conflict as WorkflowConflict {
                if attempt < 5 { continue }
                throw WorkflowError(.conflict, conflict.description)
            }
            signal?.notify()
            return record
        }
    }

    // MARK: The extraction job

    /// Reads a leased extraction job's documents: the values stored and the application handed to the applicant
    /// (the job marked done in the same transaction). A failure is retried by the ``JobWorker`` with backoff, or given
    /// up (``gaveUp(_:error:)``) when it is permanent or the attempts are spent.
    func extract(_ job: JobRecord) async throws {
        let application = try await load(job.subject)
        guard application.state == .uploaded else {
            // A later job already extracted the current documents, or the application moved on.
            try await store.completeJob(id: job.id, now: now())
            return
        }
        let documents = try await store.documents(applicationID: job.subject).filter { !$0.superseded }
        var perDocument: [[Extraction]] = []
        for record in documents {
            let document = try Document(name: record.name, data: try await blobs.get(record.sha256))
            let kind = DocumentKind(rawValue: record.kind) ?? .other
            // The application is the subject: its own labelled documents are never its few-shot examples.
            perDocument.append(try await pipeline.extract(document, as: kind.documentType, subject: job.subject))
        }
        let reconciled = DocumentPipeline.reconcile(perDocument)
        let date = now()
        let extraction = ExtractionRecord(
            id: "ext_" + Self.randomToken(bytes: 12), applicationID: job.subject, createdAt: date,
            documents: try Self.encode(reconciled), documentIDs: try Self.encode(documents.map(\.id)))
        var state = try transition(application, .extractionFinished)
        state = try ApplicationMachine.next(state, on: .presentToApplicant)
        var updated = application
        updated.state = state
        updated.updatedAt = date
        var change = WorkflowChange(application: updated, expectedVersion: application.version)
        change.extraction = extraction
        change.completesJob = job.id
        let summary: [JSONValue] = reconciled.map { document in
            ["type": .string(document.documentType), "fields": .number(Double(document.fields.count)),
             "disagreements": .number(Double(document.disagreements.count))]
        }
        change.audit = [AuditDraft(
            actor: "system:extraction", action: "extraction.finished", target: Self.target(job.subject),
            before: Self.json(["state": .string(application.state.rawValue)]),
            after: Self.json(["state": .string(state.rawValue), "extraction": .string(extraction.id), "documents": .array(summary)]))]
        do {
            try await store.commit(change)
        } catch is WorkflowConflict {
            // A new upload arrived while reading: it queued another job, which reads the new set.
            try await store.completeJob(id: job.id, now: now())
        }
    }

    func recordExtractionFailure(_ job: JobRecord, message: String) async throws {
        for _ in 0..<3 {
            guard var application = try await store.application(id: job.subject) else { return }
            let expected = application.version
            application.lastError = "the documents could not be read: \(message)"
            application.updatedAt = now()
            var change = WorkflowChange(application: application, expectedVersion: expected)
            change.audit = [AuditDraft(actor: "system:extraction", action: "extraction.failed", target: Self.target(job.subject),
                                       after: Self.json(["job": .string(job.id), "error": .string(message)]))]
            do { try await store.commit(change); return } catch is WorkflowConflict { continue }
        }
    }

    // MARK: Shared helpers

    func load(_ id: String) async throws -> ApplicationRecord {
        guard let application = try await store.application(id: id) else { throw WorkflowError.notFound(id) }
        return application
    }

    func transition(_ application: ApplicationRecord, _ event: ApplicationEvent) throws -> ApplicationState {
        do { return try ApplicationMachine.next(application.state, on: event) } catch {
            throw WorkflowError(.conflict, "application \(application.id): \(error.description)")
        }
    }

    func commit(_ change: WorkflowChange) async throws {
        do { try await store.commit(change) } catch let conflict as WorkflowConflict {
            throw WorkflowError(.conflict, conflict.description)
        }
    }

    static func target(_ applicationID: String) -> String { "application:\(applicationID)" }

    static func json(_ object: [String: JSONValue]) -> String { JSONValue.object(object).jsonString() }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).hexString
    }

    static func randomToken(bytes: Int = 24) -> String {
        var generator = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(raw).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Today's date in UTC, `yyyy-mm-dd`, for the rules.
    func today() -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: now())
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}

/// What an uploaded file is, as the applicant says.
public enum DocumentKind: String, Sendable, Hashable, Codable, CaseIterable {
    case licenseFront = "license_front"
    case licenseBack = "license_back"
    case i9
    case other

    /// The document the applicant says it is (nil: anything).
    public var expected: ExpectedDocument? {
        switch self {
        case .licenseFront: .licenseFront
        case .licenseBack: .licenseBack
        case .i9: .formI9
        case .other: nil
        }
    }

    /// The document type extraction reads it as (nil: detected).
    public var documentType: DocumentType? {
        switch self {
        case .licenseFront, .licenseBack: .driversLicense
        case .i9: .formI9
        case .other: nil
        }
    }
}
