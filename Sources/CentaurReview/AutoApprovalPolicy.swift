import CentaurCore
import CentaurExtraction
import CentaurRules

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
        /// `rule`, `missing_evidence`, `not_confirmed`, `document`, `adjustment`, `silenced_rule`, `disagreement`,
        /// `model_only`, `missing_document`.
        public var kind: String
        public var message: String
        /// Risk points: the queue puts the highest total first.
        public var weight: Int

        /// The kind of a stored reason, from its message (an application keeps only the messages). The inverse of
        /// the wording in ``AutoApprovalPolicy/reasons(documents:extracted:adjustments:results:extractedResults:requirements:)``;
        /// a document finding is any message no other kind claims.
        public static func kind(ofMessage message: String) -> String {
            if message.hasPrefix("no "), message.hasSuffix(" was read") { return "missing_document" }
            if message.hasPrefix("missing evidence:") { return "missing_evidence" }
            if message.hasPrefix("not confirmed:") { return "not_confirmed" }
            if message.hasPrefix("the applicant's changes silenced rule ") { return "silenced_rule" }
            if message.hasPrefix("the applicant changed ") { return "adjustment" }
            if message.hasPrefix("sources disagree on ") { return "disagreement" }
            if message.hasPrefix("high-risk field "), message.contains(" was read only by ") { return "model_only" }
            if RuleSeverity.allCases.contains(where: { message.hasPrefix("\($0.rawValue): ") }) { return "rule" }
            return "document"
        }
    }

    /// The reasons this application needs a human; none means it may be auto-approved.
    ///
    /// Approval is an allow-list of evidence (``ApprovalRequirements``): a reason is raised for every required
    /// document missing or unverified, every required value not read by a deterministic source, every
    /// value a second source should confirm and does not, every rule that fired or could not be evaluated,
    /// every change the applicant made to a deterministic source's value and every change that silenced a rule.
    /// - Parameters:
    ///   - documents: the values as they stand (the applicant's changes applied).
    ///   - extracted: the values as the sources read them (nil: the same as `documents`).
    ///   - results: the rules on `documents`; `extractedResults` the rules on `extracted`.
    public func reasons(documents: [ReconciledDocument], extracted: [ReconciledDocument]? = nil, adjustments: [FieldAdjustment],
                        results: [RuleResult], extractedResults: [RuleResult]? = nil,
                        requirements: ApprovalRequirements = ApprovalRequirements()) -> [Reason] {
        let extracted = extracted ?? documents
        var reasons: [Reason] = []
        let present = Set(documents.map(\.documentType))
        let required = requirements.documents.isEmpty ? requiredDocumentTypes : requirements.requiredDocumentTypes
        for type in required where !present.contains(type) {
            reasons.append(Reason(kind: "missing_document", message: "no \(type) was read", weight: 20))
        }
        for document in documents {
            for finding in document.findings {
                reasons.append(Reason(kind: "document", message: finding.message, weight: 20))
            }
        }
        for requirement in requirements.documents {
            guard let document = documents.first(where: { $0.documentType == requirement.documentType }) else { continue }
            let title = Self.title(requirement.documentType)
            for field in requirement.required {
                let value = document.fields[field] ?? .null
                let sources = document.provenance[field] ?? []
                if value == .null || sources.isEmpty {
                    reasons.append(Reason(kind: "missing_evidence", message: "missing evidence: the \(title)'s \(Self.label(field)) was not read", weight: 10))
                } else if !sources.contains(where: { Reconciler.isDeterministic($0.source) }) {
                    reasons.append(Reason(kind: "missing_evidence",
                                          message: "missing evidence: the \(title)'s \(Self.label(field)) was read only by \(sources.map(\.source).joined(separator: ", ")), "
                                              + "not by a barcode, form field or printed layout",
                                          weight: 10))
                }
            }
            for field in requirement.corroborate where document.fields[field].map({ $0 != .null }) ?? false {
                let sources = document.provenance[field] ?? []
                let files = Set(sources.map(\.document)).union((document.confirmations[field] ?? []).map(\.document))
                if files.count < 2 {
                    reasons.append(Reason(kind: "not_confirmed",
                                          message: "not confirmed: the \(title)'s \(Self.label(field)) from \(sources.first?.source ?? "its source") is not shown by a second, "
                                              + "independent source (the other side of the document)",
                                          weight: 3))
                }
            }
        }
        for result in results where result.severity >= reviewAtSeverity {
            if result.outcome == .fired {
                reasons.append(Reason(kind: "rule", message: "\(result.severity.rawValue): \(result.rule) — \(result.description)",
                                      weight: result.severity == .block ? 100 : 10))
            } else if result.outcome == .notApplicable, requirements.mayNotApply[result.rule] == nil {
                let missing = result.evidence.filter { $0.value == .null }.keys.sorted()
                reasons.append(Reason(kind: "missing_evidence",
                                      message: "missing evidence: rule \(result.rule) could not be checked" + (missing.isEmpty ? "" : " (no \(missing.joined(separator: ", ")))"),
                                      weight: 10))
            }
        }
        if let extractedResults {
            let firedBefore = Set(extractedResults.filter { $0.outcome == .fired && $0.severity >= reviewAtSeverity }.map(\.rule))
            for result in results where firedBefore.contains(result.rule) && result.outcome != .fired {
                reasons.append(Reason(kind: "silenced_rule",
                                      message: "the applicant's changes silenced rule \(result.rule) (it fired on the values as read): \(result.description)",
                                      weight: 10))
            }
        }
        for adjustment in adjustments {
            let sources = extracted.first { $0.documentType == adjustment.documentType }?.provenance[adjustment.field] ?? []
            let deterministic = sources.filter { Reconciler.isDeterministic($0.source) }.map(\.source)
            if !deterministic.isEmpty {
                reasons.append(Reason(kind: "adjustment",
                                      message: "the applicant changed \(adjustment.highRisk ? "high-risk field " : "")\(adjustment.documentType).\(adjustment.field), "
                                          + "which \(deterministic.joined(separator: " and ")) read, "
                                          + "from \(adjustment.before.jsonString()) to \(adjustment.after.jsonString())",
                                      weight: 5))
            } else if adjustment.highRisk && !allowHighRiskAdjustments {
                reasons.append(Reason(kind: "adjustment",
                                      message: "the applicant changed high-risk field \(adjustment.documentType).\(adjustment.field) "
                                          + "from \(adjustment.before.jsonString()) to \(adjustment.after.jsonString())",
                                      weight: 5))
            }
        }
        for document in documents {
            if requireAgreement {
                for disagreement in document.disagreements {
                    let sources = disagreement.values.map { "\($0.source)=\($0.value.jsonString())" }.joined(separator: ", ")
                    reasons.append(Reason(kind: "disagreement", message: "sources disagree on \(document.documentType).\(disagreement.field): \(sources)", weight: 3))
                }
            }
            if requireDeterministicHighRisk, let type = try? DocumentType.named(document.documentType) {
                let requiredHere = Set(requirements.documents.first { $0.documentType == document.documentType }?.required ?? [])
                for field in type.fields where field.highRisk && !requiredHere.contains(field.name) {
                    guard let sources = document.provenance[field.name], document.fields[field.name].map({ $0 != .null }) ?? false else { continue }
                    let adjusted = adjustments.contains { $0.documentType == document.documentType && $0.field == field.name }
                    if !adjusted, !sources.contains(where: { Reconciler.isDeterministic($0.source) }) {
                        reasons.append(Reason(kind: "model_only", message:
                            "high-risk field \(document.documentType).\(field.name) was read only by \(sources.map(\.source).joined(separator: ", "))", weight: 2))
                    }
                }
            }
        }
        return reasons
    }

    static func isDeterministic(_ source: String) -> Bool { Reconciler.isDeterministic(source) }

    /// "licence", "I-9": how reasons name a document type.
    static func title(_ type: String) -> String {
        switch type {
        case DocumentType.driversLicense.id: "licence"
        case DocumentType.formI9.id: "I-9"
        default: type
        }
    }

    /// A field's name in words ("date of birth").
    static func label(_ field: String) -> String {
        field == "ssn" ? "Social Security number" : field.replacingOccurrences(of: "_", with: " ")
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
