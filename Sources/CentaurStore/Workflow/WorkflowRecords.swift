import Foundation

// Rows of the onboarding workflow. Values a domain target owns (reconciled documents, rule results, field values)
// are kept as JSON text so this target stays free of domain types; `CentaurReview` reads and writes them.

/// One applicant's application: its state, the hash of its applicant token and the review summary.
public struct ApplicationRecord: Sendable, Hashable, Codable {
    public var id: String
    public var state: ApplicationState
    /// SHA-256 (hex) of the applicant's link token; the token itself is never stored.
    public var tokenHash: String
    public var marketState: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// Optimistic concurrency: every committed change adds one.
    public var version: Int
    /// Higher first in the review queue: 0 none, 1 review, 2 block, plus one per high-risk adjustment.
    public var risk: Int
    /// Why it is in review (JSON array of strings).
    public var reasons: String
    public var assignee: String?
    /// The last extraction failure, shown to the applicant.
    public var lastError: String?

    enum CodingKeys: String, CodingKey {
        case id, state, version, risk, reasons, assignee
        case tokenHash = "token_hash", marketState = "market_state", createdAt = "created_at", updatedAt = "updated_at"
        case lastError = "last_error"
    }

    public init(id: String, state: ApplicationState, tokenHash: String, marketState: String?, createdAt: Date, updatedAt: Date,
                version: Int = 1, risk: Int = 0, reasons: String = "[]", assignee: String? = nil, lastError: String? = nil) {
        self.id = id; self.state = state; self.tokenHash = tokenHash; self.marketState = marketState
        self.createdAt = createdAt; self.updatedAt = updatedAt; self.version = version; self.risk = risk
        self.reasons = reasons; self.assignee = assignee; self.lastError = lastError
    }
}

/// An uploaded file: its bytes live in the blob store under their SHA-256.
public struct DocumentRecord: Sendable, Hashable, Codable {
    public var id: String
    public var applicationID: String
    public var sha256: String
    /// `license_front`, `license_back`, `i9` or `other`.
    public var kind: String
    public var name: String
    public var mediaType: String
    public var size: Int
    public var uploadedAt: Date
    /// A later upload of the same kind (or a resubmission) supersedes it; extraction reads only current files.
    public var superseded: Bool

    enum CodingKeys: String, CodingKey {
        case id, sha256, kind, name, size, superseded
        case applicationID = "application_id", mediaType = "media_type", uploadedAt = "uploaded_at"
    }

    public init(id: String, applicationID: String, sha256: String, kind: String, name: String, mediaType: String,
                size: Int, uploadedAt: Date, superseded: Bool = false) {
        self.id = id; self.applicationID = applicationID; self.sha256 = sha256; self.kind = kind; self.name = name
        self.mediaType = mediaType; self.size = size; self.uploadedAt = uploadedAt; self.superseded = superseded
    }
}

/// The reconciled documents of one extraction run (JSON array), with the files it read.
public struct ExtractionRecord: Sendable, Hashable, Codable {
    public var id: String
    public var applicationID: String
    public var createdAt: Date
    /// JSON array of reconciled documents (fields, provenance, disagreements, model attempts).
    public var documents: String
    /// JSON array of the document ids read.
    public var documentIDs: String

    enum CodingKeys: String, CodingKey {
        case id, documents
        case applicationID = "application_id", createdAt = "created_at", documentIDs = "document_ids"
    }

    public init(id: String, applicationID: String, createdAt: Date, documents: String, documentIDs: String) {
        self.id = id; self.applicationID = applicationID; self.createdAt = createdAt; self.documents = documents; self.documentIDs = documentIDs
    }
}

/// A human change to an extracted value: an applicant's adjustment or a reviewer's correction.
public struct AdjustmentRecord: Sendable, Hashable, Codable {
    public var id: String
    public var applicationID: String
    public var extractionID: String
    public var documentType: String
    public var field: String
    /// JSON text of the value before and after.
    public var before: String
    public var after: String
    /// `applicant` or `reviewer`.
    public var kind: String
    public var actor: String
    public var reason: String?
    public var highRisk: Bool
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, field, before, after, kind, actor, reason
        case applicationID = "application_id", extractionID = "extraction_id", documentType = "document_type"
        case highRisk = "high_risk", createdAt = "created_at"
    }

    public init(id: String, applicationID: String, extractionID: String, documentType: String, field: String, before: String,
                after: String, kind: String, actor: String, reason: String?, highRisk: Bool, createdAt: Date) {
        self.id = id; self.applicationID = applicationID; self.extractionID = extractionID; self.documentType = documentType
        self.field = field; self.before = before; self.after = after; self.kind = kind; self.actor = actor
        self.reason = reason; self.highRisk = highRisk; self.createdAt = createdAt
    }
}

/// One run of the rules and the auto-approval policy.
public struct CheckRecord: Sendable, Hashable, Codable {
    public var id: String
    public var applicationID: String
    public var extractionID: String
    public var ruleSet: String
    public var ruleSetVersion: Int
    /// JSON array of rule results.
    public var results: String
    /// Where the check left the application: `autoApproved` or `inReview`.
    public var outcome: ApplicationState
    /// JSON array of the reasons for review.
    public var reasons: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, results, outcome, reasons
        case applicationID = "application_id", extractionID = "extraction_id", ruleSet = "rule_set"
        case ruleSetVersion = "rule_set_version", createdAt = "created_at"
    }

    public init(id: String, applicationID: String, extractionID: String, ruleSet: String, ruleSetVersion: Int,
                results: String, outcome: ApplicationState, reasons: String, createdAt: Date) {
        self.id = id; self.applicationID = applicationID; self.extractionID = extractionID; self.ruleSet = ruleSet
        self.ruleSetVersion = ruleSetVersion; self.results = results; self.outcome = outcome; self.reasons = reasons
        self.createdAt = createdAt
    }
}

/// A reviewer's decision: approve, reject or request resubmission, always with a reason.
public struct DecisionRecord: Sendable, Hashable, Codable {
    public var id: String
    public var applicationID: String
    public var decision: String
    public var reason: String
    public var actor: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, decision, reason, actor
        case applicationID = "application_id", createdAt = "created_at"
    }

    public init(id: String, applicationID: String, decision: String, reason: String, actor: String, createdAt: Date) {
        self.id = id; self.applicationID = applicationID; self.decision = decision; self.reason = reason; self.actor = actor; self.createdAt = createdAt
    }
}

/// A labelled example for the data flywheel: what the machine read and what a human said it is.
public struct LabelledExampleRecord: Sendable, Hashable, Codable {
    public var id: String
    public var applicationID: String
    /// JSON array of `{name, sha256}` of the files the value was read from.
    public var documents: String
    public var documentType: String
    public var schemaVersion: Int
    public var field: String
    /// The source whose value was chosen (`barcode`, `form_fields`, `layout_text`, `model:NAME`, `text`).
    public var chosenSource: String
    /// The model asked during extraction, if any, and its prompt version.
    public var model: String?
    public var promptVersion: String?
    /// JSON text: the machine's value and the human's.
    public var modelValue: String
    public var humanValue: String
    /// JSON array of the sources whose value equals the human's (empty: none was right).
    public var rightSources: String
    /// `applicant_adjustment` or `reviewer_correction`.
    public var kind: String
    public var actor: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, documents, field, model, kind, actor
        case applicationID = "application_id", documentType = "document_type", schemaVersion = "schema_version"
        case chosenSource = "chosen_source", promptVersion = "prompt_version", modelValue = "model_value"
        case humanValue = "human_value", rightSources = "right_sources", createdAt = "created_at"
    }

    public init(id: String, applicationID: String, documents: String, documentType: String, schemaVersion: Int, field: String,
                chosenSource: String, model: String?, promptVersion: String?, modelValue: String, humanValue: String,
                rightSources: String, kind: String, actor: String, createdAt: Date) {
        self.id = id; self.applicationID = applicationID; self.documents = documents; self.documentType = documentType
        self.schemaVersion = schemaVersion; self.field = field; self.chosenSource = chosenSource; self.model = model
        self.promptVersion = promptVersion; self.modelValue = modelValue; self.humanValue = humanValue
        self.rightSources = rightSources; self.kind = kind; self.actor = actor; self.createdAt = createdAt
    }
}
