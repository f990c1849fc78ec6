import CentaurCore
import CentaurExtraction
import CentaurRules
import CentaurStore
import Foundation

/// What the applicant sees: state, documents, and the values to confirm (no internal review notes).
public struct ApplicantView: Sendable, Encodable {
    public struct Field: Sendable, Encodable {
        public var name: String
        public var value: JSONValue
        public var sources: [String]
        public var disagreement: Bool
        public var adjusted: Bool
        /// Where a source read it or a document confirms it, for outlining it on the applicant's own image.
        public var boxes: [EvidenceItem.Box] = []
    }
    public struct Document: Sendable, Encodable {
        public var type: String
        public var fields: [Field]
    }
    public var id: String
    public var state: ApplicationState
    public var documents: [DocumentRecord]
    public var extracted: [Document]?
    public var error: String?
    public var extractionPending: Bool
    /// What is wrong with the documents, in the applicant's words, with what to do (a new photo of the barcode).
    public var problems: [String]

    enum CodingKeys: String, CodingKey {
        case id, state, documents, extracted, error, problems, extractionPending = "extraction_pending"
    }
}

/// One line of the review queue.
public struct QueueItem: Sendable, Encodable {
    public var id: String
    public var risk: Int
    public var reasons: [String]
    public var createdAt: Date
    public var assignee: String?
    /// The applicant's name as the documents give it (the licence's, else the I-9's), when one was read.
    public var applicantName: String?

    enum CodingKeys: String, CodingKey {
        case id, risk, reasons, assignee, createdAt = "created_at", applicantName = "applicant_name"
    }
}

/// Everything a reviewer needs to decide: the documents, the values and where each came from, the rule results,
/// the applicant's adjustments, the decisions so far and the audit history.
public struct ReviewDetail: Sendable, Encodable {
    public var application: ApplicationRecord
    public var reasons: [String]
    public var documents: [DocumentRecord]
    /// The extracted documents with the human changes applied; `provenance` and `disagreements` as extracted.
    public var extracted: [ReconciledDocument]
    public var adjustments: [AdjustmentRecord]
    public var ruleResults: [RuleResult]
    public var decisions: [DecisionRecord]
    public var audit: [AuditEntry]
    /// Every value the approval policy requires: who saw it, what confirms it, what is missing.
    public var evidence: [EvidenceItem]
    /// The reasons grouped and ordered for a reviewer.
    public var reasonGroups: [ReasonGroup]
    /// Model values the documents do not support (never used), per document type.
    public var ungrounded: [UngroundedValue]

    enum CodingKeys: String, CodingKey {
        case application, reasons, documents, extracted, adjustments, decisions, audit, evidence, ungrounded
        case ruleResults = "rule_results", reasonGroups = "reason_groups"
    }

    /// The application is written without its token hash: the review API has no business handing it out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(PublicApplication(record: application), forKey: .application)
        try container.encode(reasons, forKey: .reasons)
        try container.encode(documents, forKey: .documents)
        try container.encode(extracted, forKey: .extracted)
        try container.encode(adjustments, forKey: .adjustments)
        try container.encode(ruleResults, forKey: .ruleResults)
        try container.encode(decisions, forKey: .decisions)
        try container.encode(audit, forKey: .audit)
        try container.encode(evidence, forKey: .evidence)
        try container.encode(reasonGroups, forKey: .reasonGroups)
        try container.encode(ungrounded, forKey: .ungrounded)
    }
}

/// An application as the review API shows it: every column but the applicant token's hash.
struct PublicApplication: Encodable {
    let record: ApplicationRecord

    enum CodingKeys: String, CodingKey {
        case id, state, version, risk, reasons, assignee
        case marketState = "market_state", createdAt = "created_at", updatedAt = "updated_at", lastError = "last_error"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.state, forKey: .state)
        try container.encode(record.version, forKey: .version)
        try container.encode(record.risk, forKey: .risk)
        try container.encode(record.reasons, forKey: .reasons)
        try container.encodeIfPresent(record.assignee, forKey: .assignee)
        try container.encodeIfPresent(record.marketState, forKey: .marketState)
        try container.encode(record.createdAt, forKey: .createdAt)
        try container.encode(record.updatedAt, forKey: .updatedAt)
        try container.encodeIfPresent(record.lastError, forKey: .lastError)
    }
}

extension OnboardingService {
    public func applicantView(applicationID: String) async throws -> ApplicantView {
        let application = try await load(applicationID)
        let documents = try await store.documents(applicationID: applicationID).filter { !$0.superseded }
        let jobs = try await store.jobs(subject: applicationID)
        var extracted: [ApplicantView.Document]?
        var problems: [String] = []
        let shows = ![ApplicationState.created, .uploaded].contains(application.state)
        if shows, let extraction = try await store.latestExtraction(applicationID: applicationID) {
            let reconciled = try Self.decode([ReconciledDocument].self, extraction.documents)
            problems = reconciled.flatMap(\.findings).map(\.applicantMessage)
            let changes = try await currentChanges(applicationID: applicationID, extractionID: extraction.id, kind: "applicant")
            extracted = Self.apply(changes, to: reconciled).map { document in
                let type = try? DocumentType.named(document.documentType)
                let names = type?.fields.map(\.name).filter { document.fields[$0] != nil } ?? document.fields.keys.sorted()
                return ApplicantView.Document(type: document.documentType, fields: names.map { name in
                    ApplicantView.Field(
                        name: name, value: document.fields[name] ?? .null,
                        sources: (document.provenance[name] ?? []).map(\.source),
                        disagreement: document.disagreements.contains { $0.field == name },
                        adjusted: changes.contains { $0.documentType == document.documentType && $0.field == name },
                        boxes: ((document.provenance[name] ?? []) + (document.confirmations[name] ?? [])).compactMap { source in
                            source.box.map { EvidenceItem.Box(document: source.document, page: source.page, box: $0) }
                        })
                })
            }
        }
        return ApplicantView(id: application.id, state: application.state, documents: documents, extracted: extracted,
                             error: application.lastError,
                             extractionPending: jobs.contains { $0.status == .queued || $0.status == .running }, problems: problems)
    }

    /// Applications in review: highest risk first, then oldest.
    public func queue(limit: Int = 200, withNames: Bool = true) async throws -> [QueueItem] {
        let applications = try await store.applications(states: [.inReview], limit: 10_000)
        return try await applications
            .sorted { ($0.risk, $1.createdAt) > ($1.risk, $0.createdAt) }
            .prefix(limit)
            .asyncMap { application in
                QueueItem(id: application.id, risk: application.risk, reasons: try Self.decode([String].self, application.reasons),
                          createdAt: application.createdAt, assignee: application.assignee, applicantName: withNames ? try await applicantName(application.id) : nil)
            }
    }

    /// "JANE Q SAMPLETON" from the latest extraction with the applicant's changes: the licence's names, else the I-9's.
    func applicantName(_ applicationID: String) async throws -> String? {
        guard let extraction = try await store.latestExtraction(applicationID: applicationID) else { return nil }
        let changes = try await currentChanges(applicationID: applicationID, extractionID: extraction.id, kind: nil)
        let documents = Self.apply(changes, to: try Self.decode([ReconciledDocument].self, extraction.documents))
        for type in ["us-drivers-license", "form-i9"] {
            guard let fields = documents.first(where: { $0.documentType == type })?.fields else { continue }
            let parts = ["first_name", "middle_name", "middle_initial", "last_name"].compactMap { fields[$0]?.stringValue }.filter { !$0.isEmpty }
            if fields["last_name"]?.stringValue != nil, !parts.isEmpty { return parts.joined(separator: " ") }
        }
        return nil
    }

    public func detail(applicationID: String) async throws -> ReviewDetail {
        let application = try await load(applicationID)
        let documents = try await store.documents(applicationID: applicationID)
        var extracted: [ReconciledDocument] = []
        var changes: [FieldAdjustment] = []
        if let extraction = try await store.latestExtraction(applicationID: applicationID) {
            changes = try await currentChanges(applicationID: applicationID, extractionID: extraction.id, kind: nil)
            extracted = Self.apply(changes, to: try Self.decode([ReconciledDocument].self, extraction.documents))
        }
        let check = try await store.latestCheck(applicationID: applicationID)
        let results = try check.map { try Self.decode([RuleResult].self, $0.results) } ?? []
        let reasons = try check.map { try Self.decode([AutoApprovalPolicy.Reason].self, $0.reasons) } ?? []
        return ReviewDetail(
            application: application, reasons: try Self.decode([String].self, application.reasons), documents: documents,
            extracted: extracted, adjustments: try await store.adjustments(applicationID: applicationID), ruleResults: results,
            decisions: try await store.decisions(applicationID: applicationID),
            audit: try await store.auditEntries(target: Self.target(applicationID)),
            evidence: policy.checklist(documents: extracted, adjustments: changes, requirements: ruleSet.approval),
            reasonGroups: AutoApprovalPolicy.group(reasons), ungrounded: extracted.flatMap(\.ungrounded))
    }

    /// A stored document's bytes, if it belongs to the application.
    public func documentData(applicationID: String, documentID: String) async throws -> (DocumentRecord, Data) {
        guard let record = try await store.documents(applicationID: applicationID).first(where: { $0.id == documentID }) else {
            throw WorkflowError(.notFound, "no document \(documentID) in application \(applicationID)")
        }
        return (record, try await blobs.get(record.sha256))
    }

    func currentChanges(applicationID: String, extractionID: String, kind: String?) async throws -> [FieldAdjustment] {
        try await store.adjustments(applicationID: applicationID)
            .filter { $0.extractionID == extractionID && (kind == nil || $0.kind == kind) }
            .map { FieldAdjustment(documentType: $0.documentType, field: $0.field, before: try JSONValue(parsing: $0.before),
                                   after: try JSONValue(parsing: $0.after), highRisk: $0.highRisk) }
    }
}

extension OnboardingService {
    /// Verifies the audit log against its head and the rows beside it (``AuditVerification/verify(store:anchor:)``).
    public func verifyAudit(anchor: AuditVerification.Anchor? = nil) async throws -> AuditVerification {
        try await AuditVerification.verify(store: store, anchor: anchor)
    }
}

extension Sequence {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
