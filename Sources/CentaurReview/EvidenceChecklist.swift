import CentaurCore
import CentaurExtraction
import CentaurRules

/// What a reviewer checks by looking: for each value the approval policy requires, which source saw it, which
/// other document confirms it, and what is missing or wrong. Built from the same requirements that decide
/// automatic approval, so the page and the policy cannot drift apart.
public struct EvidenceItem: Sendable, Hashable, Encodable {
    public enum Status: String, Sendable, Hashable, Encodable {
        /// Read by a deterministic source and, where asked, confirmed.
        case verified
        /// Not read at all.
        case missing
        /// Read only by a model (grounded in the text, but no barcode or form field).
        case modelOnly = "model_only"
        /// Read, but the other side of the document does not show it.
        case notConfirmed = "not_confirmed"
        /// Sources disagree.
        case disagreement
        /// A human changed it.
        case changed
    }

    public var documentType: String
    public var field: String
    /// The field in words ("date of birth").
    public var label: String
    public var value: JSONValue
    /// The value exactly as the deterministic source read it, when that differs from the normalised value
    /// (`S201-1641-0457` for `S20116410457`, `03061996` for `1996-03-06`): identifiers are compared normalised but
    /// shown as printed.
    public var printed: String?
    /// Each source that read it, as `source (file)`.
    public var seenBy: [String]
    /// Other files whose printed text shows it.
    public var confirmedBy: [String]
    public var status: Status
    /// Where on a page a source recorded it (a barcode's box, a form field's rectangle), for highlighting.
    public var boxes: [Box]

    public struct Box: Sendable, Hashable, Encodable {
        public var document: String
        public var page: Int?
        public var box: BoundingBox
    }

    enum CodingKeys: String, CodingKey {
        case documentType = "document_type", field, label, value, printed, status, boxes
        case seenBy = "seen_by", confirmedBy = "confirmed_by"
    }
}

/// Reasons grouped for a reviewer, most serious group first.
public struct ReasonGroup: Sendable, Hashable, Encodable {
    public var title: String
    public var reasons: [String]
}

extension AutoApprovalPolicy {
    /// The checklist of every required value in the application (``ApprovalRequirements``).
    public func checklist(documents: [ReconciledDocument], adjustments: [FieldAdjustment],
                          requirements: ApprovalRequirements) -> [EvidenceItem] {
        var items: [EvidenceItem] = []
        for requirement in requirements.documents {
            let document = documents.first { $0.documentType == requirement.documentType }
            let corroborate = Set(requirement.corroborate)
            for field in requirement.required {
                let value = document?.fields[field] ?? .null
                let sources = document?.provenance[field] ?? []
                let confirmations = document?.confirmations[field] ?? []
                let status: EvidenceItem.Status
                if adjustments.contains(where: { $0.documentType == requirement.documentType && $0.field == field }) {
                    status = .changed
                } else if value == .null || sources.isEmpty {
                    status = .missing
                } else if document?.disagreements.contains(where: { $0.field == field }) == true {
                    status = .disagreement
                } else if !sources.contains(where: { Reconciler.isDeterministic($0.source) }) {
                    status = .modelOnly
                } else if corroborate.contains(field), Set(sources.map(\.document)).union(confirmations.map(\.document)).count < 2 {
                    status = .notConfirmed
                } else {
                    status = .verified
                }
                let raw = sources.first { Reconciler.isDeterministic($0.source) }?.raw
                // Only identifiers and dates: a check box's "On" or a name's spacing is no help to a reviewer.
                let kind = (try? DocumentType.named(requirement.documentType))?.field(field)?.kind
                let printed = [.identifier, .date].contains(kind) ? raw.flatMap { raw in raw != (value.stringValue ?? value.jsonString()) ? raw : nil } : nil
                items.append(EvidenceItem(
                    documentType: requirement.documentType, field: field, label: Self.label(field), value: value, printed: printed,
                    seenBy: sources.map { "\($0.source) (\($0.document))" }, confirmedBy: confirmations.map(\.document), status: status,
                    boxes: (sources + confirmations).compactMap { provenance in provenance.box.map { .init(document: provenance.document, page: provenance.page, box: $0) } }))
            }
        }
        return items
    }

    /// Groups reasons by what a reviewer does about them.
    public static func group(_ reasons: [Reason]) -> [ReasonGroup] {
        let groups: [(String, Set<String>)] = [
            ("Blocking rules and documents", ["document", "missing_document"]),
            ("Rules that fired", ["rule"]),
            ("Missing or unconfirmed evidence", ["missing_evidence", "not_confirmed", "model_only"]),
            ("Changes made by the applicant", ["adjustment", "silenced_rule"]),
            ("Sources that disagree", ["disagreement"]),
        ]
        var result: [ReasonGroup] = []
        for (title, kinds) in groups {
            let messages = reasons.filter { kinds.contains($0.kind) }.map(\.message)
            if !messages.isEmpty { result.append(ReasonGroup(title: title, reasons: messages)) }
        }
        let known = groups.reduce(into: Set<String>()) { $0.formUnion($1.1) }
        let other = reasons.filter { !known.contains($0.kind) }.map(\.message)
        if !other.isEmpty { result.append(ReasonGroup(title: "Other", reasons: other)) }
        return result
    }
}
