import CentaurCore
import CentaurExtraction

/// When an application may be approved without a human. Anything else goes to review with its reasons listed.
/// A model's answer alone never approves anyone: by default a high-risk value that no deterministic source
/// (barcode, form fields, printed layout) gave also sends the application to a human.
public struct AutoApprovalPolicy: Sendable, Hashable, Codable {
    /// Applicant adjustments to high-risk fields are allowed without review (default false).
    public var allowHighRiskAdjustments = false
    /// A fired rule of this severity or higher sends the application to review.
    public var reviewAtSeverity: RuleSeverity = .review
    /// Every source must agree on every field (default true).
    public var requireAgreement = true
    /// High-risk values read only by a model need a human (default true).
    public var requireDeterministicHighRisk = true
    /// Document types an application must have.
    public var requiredDocumentTypes = ["us-drivers-license", "form-i9"]

    enum CodingKeys: String, CodingKey {
        case allowHighRiskAdjustments = "allow_high_risk_adjustments", reviewAtSeverity = "review_at_severity"
        case requireAgreement = "require_agreement", requireDeterministicHighRisk = "require_deterministic_high_risk"
        case requiredDocumentTypes = "required_document_types"
    }

    public init() {}

    /// One reason for a human to look.
    public struct Reason: Sendable, Hashable, Codable {
        /// `rule`, `adjustment`, `disagreement`, `model_only`, `missing_document`.
        public var kind: String
        public var message: String
        /// Risk points: the queue puts the highest total first.
        public var weight: Int
    }

    /// The reasons this application needs a human; none means it may be auto-approved.
    public func reasons(documents: [ReconciledDocument], adjustments: [FieldAdjustment], results: [RuleResult]) -> [Reason] {
        var reasons: [Reason] = []
        let present = Set(documents.map(\.documentType))
        for type in requiredDocumentTypes where !present.contains(type) {
            reasons.append(Reason(kind: "missing_document", message: "no \(type) was read", weight: 20))
        }
        for result in results where result.outcome == .fired && result.severity >= reviewAtSeverity {
            reasons.append(Reason(kind: "rule", message: "\(result.severity.rawValue): \(result.rule) — \(result.description)",
                                  weight: result.severity == .block ? 100 : 10))
        }
        for adjustment in adjustments where adjustment.highRisk && !allowHighRiskAdjustments {
            reasons.append(Reason(kind: "adjustment",
                                  message: "the applicant changed high-risk field \(adjustment.documentType).\(adjustment.field) from \(adjustment.before.jsonString()) to \(adjustment.after.jsonString())",
                                  weight: 5))
        }
        for document in documents {
            if requireAgreement {
                for disagreement in document.disagreements {
                    let sources = disagreement.values.map { "\($0.source)=\($0.value.jsonString())" }.joined(separator: ", ")
                    reasons.append(Reason(kind: "disagreement", message: "sources disagree on \(document.documentType).\(disagreement.field): \(sources)", weight: 3))
                }
            }
            if requireDeterministicHighRisk, let type = try? DocumentType.named(document.documentType) {
                for field in type.fields where field.highRisk {
                    guard let sources = document.provenance[field.name], document.fields[field.name].map({ $0 != .null }) ?? false else { continue }
                    let adjusted = adjustments.contains { $0.documentType == document.documentType && $0.field == field.name }
                    if !adjusted, !sources.contains(where: { Self.isDeterministic($0.source) }) {
                        reasons.append(Reason(kind: "model_only", message: "high-risk field \(document.documentType).\(field.name) was read only by \(sources.map(\.source).joined(separator: ", "))", weight: 2))
                    }
                }
            }
        }
        return reasons
    }

    static func isDeterministic(_ source: String) -> Bool {
        source == "barcode" || source == "form_fields" || source == "layout_text"
    }
}

/// A human's change to one extracted value.
public struct FieldAdjustment: Sendable, Hashable, Codable {
    public var documentType: String
    public var field: String
    public var before: JSONValue
    public var after: JSONValue
    public var highRisk: Bool

    enum CodingKeys: String, CodingKey {
        case documentType = "document_type", field, before, after, highRisk = "high_risk"
    }

    public init(documentType: String, field: String, before: JSONValue, after: JSONValue, highRisk: Bool) {
        self.documentType = documentType; self.field = field; self.before = before; self.after = after; self.highRisk = highRisk
    }
}
