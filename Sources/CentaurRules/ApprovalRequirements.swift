import CentaurExtraction
import Foundation

/// The evidence an application needs before it may be approved without a human: data in a rule set's
/// `approval:` section, one per application type.
///
/// Approval is an allow-list. Every required document must be present and verified as its declared type;
/// every required field must be read by a deterministic source (barcode, form fields, printed layout); each
/// field listed under `corroborate` must also be seen by a second, independent source (the licence front's
/// printed text for the barcode's values); and every rule must evaluate to *pass*. A rule that could not be
/// evaluated because data is missing is missing evidence, unless `may_not_apply` names it with a reason.
///
/// ```yaml
/// approval:
///   documents:
///     us-drivers-license:
///       required: [first_name, last_name, date_of_birth, id_number, expiration_date, jurisdiction]
///       corroborate: [last_name, date_of_birth, id_number, expiration_date]
///   may_not_apply:
///     list_a_document_expired: Section 2 records List B and C documents instead of a List A document.
/// ```
public struct ApprovalRequirements: Sendable, Hashable, Codable {
    /// What one document type must show.
    public struct DocumentRequirement: Sendable, Hashable, Codable {
        public var documentType: String
        /// Fields that must be read by a deterministic source.
        public var required: [String]
        /// Fields that a second, independent source must confirm.
        public var corroborate: [String]

        enum CodingKeys: String, CodingKey { case documentType = "document_type", required, corroborate }

        public init(documentType: String, required: [String], corroborate: [String] = []) {
            self.documentType = documentType; self.required = required; self.corroborate = corroborate
        }
    }

    /// In the order the rule set lists them.
    public var documents: [DocumentRequirement]
    /// Rules that may be "not applicable" on an approved application, each with why.
    public var mayNotApply: [String: String]

    enum CodingKeys: String, CodingKey { case documents, mayNotApply = "may_not_apply" }

    public init(documents: [DocumentRequirement] = [], mayNotApply: [String: String] = [:]) {
        self.documents = documents; self.mayNotApply = mayNotApply
    }

    /// The document types an application must have.
    public var requiredDocumentTypes: [String] { documents.map(\.documentType) }

    /// Reads the `approval:` mapping of a rule set, checking every document type, field and rule it names.
    init(yaml value: Any?, rules: [Rule], source: String) throws {
        guard let value else { self.init(); return }
        guard let top = value as? [String: Any] else { throw RuleSetError("\(source): \"approval\" must be a mapping") }
        var documents: [DocumentRequirement] = []
        if let entries = top["documents"] {
            guard let mapping = entries as? [String: Any] else {
                throw RuleSetError("\(source): approval.documents must map document types to their required fields")
            }
            for typeID in Self.orderedKeys(mapping, source: source) {
                let type: DocumentType
                do { type = try DocumentType.named(typeID) } catch { throw RuleSetError("\(source): approval.documents: \(error)") }
                let spec = mapping[typeID] as? [String: Any] ?? [:]
                func fields(_ key: String) throws -> [String] {
                    guard let raw = spec[key] else { return [] }
                    guard let names = raw as? [String] else { throw RuleSetError("\(source): approval.documents.\(typeID).\(key) must be a list of field names") }
                    for name in names where type.field(name) == nil {
                        throw RuleSetError("\(source): approval.documents.\(typeID).\(key): \(typeID) has no field \(name)")
                    }
                    return names
                }
                documents.append(DocumentRequirement(documentType: typeID, required: try fields("required"), corroborate: try fields("corroborate")))
            }
        }
        var mayNotApply: [String: String] = [:]
        if let entries = top["may_not_apply"] {
            guard let mapping = entries as? [String: Any] else { throw RuleSetError("\(source): approval.may_not_apply must map rule ids to reasons") }
            for (rule, reason) in mapping {
                guard rules.contains(where: { $0.id == rule }) else { throw RuleSetError("\(source): approval.may_not_apply names no rule \(rule)") }
                guard let reason = reason as? String, !reason.isEmpty else {
                    throw RuleSetError("\(source): approval.may_not_apply.\(rule) needs a reason (why the rule may not apply)")
                }
                mayNotApply[rule] = reason
            }
        }
        self.init(documents: documents, mayNotApply: mayNotApply)
    }

    /// Yams gives mappings unordered; the rule set's own order is the document types' sorted order unless a
    /// licence is among them, which goes first (the order applicants upload in).
    private static func orderedKeys(_ mapping: [String: Any], source: String) -> [String] {
        mapping.keys.sorted { lhs, rhs in
            let l = lhs == DocumentType.driversLicense.id ? 0 : 1, r = rhs == DocumentType.driversLicense.id ? 0 : 1
            return l != r ? l < r : lhs < rhs
        }
    }

    /// The policy as text for `centaur rules policy` and for reviewers.
    public func describe(ruleSet: RuleSet) -> String {
        var lines = ["Automatic approval of a \(ruleSet.id) application needs all of:"]
        for document in documents {
            let type = try? DocumentType.named(document.documentType)
            lines.append("- a \(type?.title ?? document.documentType), verified as that document")
            if !document.required.isEmpty {
                lines.append("    read by a deterministic source (barcode, form fields or printed layout): \(document.required.joined(separator: ", "))")
            }
            if !document.corroborate.isEmpty {
                lines.append("    confirmed by a second, independent source: \(document.corroborate.joined(separator: ", "))")
            }
        }
        lines.append("- every one of the \(ruleSet.rules.count) rules evaluated to pass; a rule that cannot be evaluated is missing evidence, except:")
        for (rule, reason) in mayNotApply.sorted(by: { $0.key < $1.key }) { lines.append("    \(rule): \(reason)") }
        lines.append("- no value the applicant changed that a deterministic source read, and no change that silences a rule")
        lines.append("- no disagreement between sources, no unreadable or invalid barcode, no document of the wrong type")
        lines.append("A model's value counts only where the document's own text supports it; it never approves anyone.")
        return lines.joined(separator: "\n")
    }
}
