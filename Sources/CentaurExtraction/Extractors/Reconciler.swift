import CentaurCore
import Foundation

/// One applicant document after every source has been heard: a value per field, every source's value
/// as provenance, and the fields the sources disagree on.
public struct ReconciledDocument: Sendable, Hashable, Codable {
    public var documentType: String
    public var documents: [String]
    public var fields: [String: JSONValue]
    /// Per field: the chosen source first, then every other source that gave a value.
    public var provenance: [String: [Provenance]]
    public var disagreements: [Disagreement]
    public var attempts: [ModelAttempt]
    public var usage: Usage
    public var cost: Double?
    public var text: String?
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case documentType = "type", documents, fields, provenance, disagreements, attempts, usage, cost, text, notes
    }

    public init(documentType: String, documents: [String], fields: [String: JSONValue], provenance: [String: [Provenance]],
                disagreements: [Disagreement], attempts: [ModelAttempt], usage: Usage, cost: Double?, text: String?, notes: [String]) {
        self.documentType = documentType; self.documents = documents; self.fields = fields; self.provenance = provenance
        self.disagreements = disagreements; self.attempts = attempts; self.usage = usage; self.cost = cost
        self.text = text; self.notes = notes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        documentType = try c.decode(String.self, forKey: .documentType)
        documents = try c.decodeIfPresent([String].self, forKey: .documents) ?? []
        fields = try c.decode([String: JSONValue].self, forKey: .fields)
        provenance = try c.decodeIfPresent([String: [Provenance]].self, forKey: .provenance) ?? [:]
        disagreements = try c.decodeIfPresent([Disagreement].self, forKey: .disagreements) ?? []
        attempts = try c.decodeIfPresent([ModelAttempt].self, forKey: .attempts) ?? []
        usage = try c.decodeIfPresent(UsageJSON.self, forKey: .usage)?.usage ?? .zero
        cost = try c.decodeIfPresent(Double.self, forKey: .cost)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(documentType, forKey: .documentType)
        try c.encode(documents, forKey: .documents)
        try c.encode(fields, forKey: .fields)
        try c.encode(provenance, forKey: .provenance)
        try c.encode(disagreements, forKey: .disagreements)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(UsageJSON(usage), forKey: .usage)
        try c.encodeIfPresent(cost, forKey: .cost)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encode(notes, forKey: .notes)
    }
}

/// Sources that do not agree on a field. The chosen value is the highest-precedence source's.
public struct Disagreement: Sendable, Hashable, Codable {
    public struct SourcedValue: Sendable, Hashable, Codable {
        public var value: JSONValue
        public var source: String
        public var document: String
        public var note: String?
    }

    public var field: String
    public var chosen: JSONValue
    public var values: [SourcedValue]
}

/// Merges extractions of one document type field by field.
///
/// Precedence (highest first): `barcode` (machine-written, error-corrected) → `form_fields` (typed by the
/// filler) → `layout_text` (printed words by position) → `model:*` → `text`. Values are compared after normalisation, ignoring case, spaces and
/// punctuation; a one-letter name agrees with a name it is the initial of. Form-field values are also
/// looked for in the page text: a value that is not printed (a hidden or stale field) is a disagreement.
public enum Reconciler {
    public static func rank(_ source: String) -> Int {
        if source == "barcode" { return 0 }
        if source == "form_fields" { return 1 }
        if source == "layout_text" { return 2 }
        if source.hasPrefix("model:") { return 3 }
        return 4
    }

    public static func reconcile(_ extractions: [Extraction], type: DocumentType) -> ReconciledDocument {
        let ordered = extractions.sorted { rank($0.source) < rank($1.source) }
        var fields: [String: JSONValue] = [:]
        var provenance: [String: [Provenance]] = [:]
        var disagreements: [Disagreement] = []
        let text = extractions.compactMap(\.text).joined(separator: "\n\u{0C}\n")
        let textKey = canonical(text)

        for field in type.fields {
            let candidates = ordered.compactMap { extraction in extraction.fields[field.name].map { (extraction, $0) } }
            guard let (_, chosen) = candidates.first else { continue }
            fields[field.name] = chosen.value
            provenance[field.name] = candidates.map(\.1.provenance)
            let everySource = candidates.map { Disagreement.SourcedValue(value: $0.1.value, source: $0.1.provenance.source, document: $0.1.provenance.document) }
            var values: [Disagreement.SourcedValue] = []
            if candidates.contains(where: { !agree(chosen.value, $0.1.value, kind: field.kind) }) { values = everySource }
            // Form fields should be visible in the printed text (pdftotext draws the widgets' appearances).
            if !text.isEmpty, let formValue = candidates.first(where: { $0.1.provenance.source == "form_fields" })?.1,
               let raw = formValue.provenance.raw, formValue.provenance.element?.hasPrefix("CB_") == false,
               !textKey.contains(canonical(raw)) {
                if values.isEmpty { values = everySource }
                values.append(.init(value: .null, source: "text", document: formValue.provenance.document,
                                    note: "the form field's value \"\(raw)\" is not in the page text"))
            }
            if !values.isEmpty {
                disagreements.append(Disagreement(field: field.name, chosen: chosen.value, values: values))
            }
        }

        var usage = Usage.zero
        var cost: Double?
        let attempts = extractions.flatMap(\.attempts)
        for attempt in attempts {
            usage.merge(attempt.usage)
            if let c = attempt.cost { cost = (cost ?? 0) + c }
        }
        var documents: [String] = []
        for extraction in extractions where !documents.contains(extraction.document) { documents.append(extraction.document) }
        var notes = extractions.flatMap(\.notes)
        for document in documents where !extractions.contains(where: { $0.document == document && !$0.fields.isEmpty }) {
            notes.append("\(document): no field was read (no barcode or form fields, and no model answer): only its text is available")
        }
        return ReconciledDocument(
            documentType: type.id, documents: documents, fields: fields, provenance: provenance,
            disagreements: disagreements, attempts: attempts, usage: usage, cost: cost,
            text: text.isEmpty ? nil : text, notes: notes)
    }

    /// Whether two normalised values say the same (case, spaces and punctuation aside; a name agrees with its initial).
    public static func agree(_ a: JSONValue, _ b: JSONValue, kind: DocumentType.FieldKind) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return abs(x - y) < 0.005
        case (.string(let x), .string(let y)):
            let cx = canonical(x), cy = canonical(y)
            if cx == cy { return true }
            if kind == .name, cx.count == 1 || cy.count == 1 { return cx.first == cy.first }
            return false
        default: return a == b
        }
    }

    /// Upper-cased letters and digits only.
    static func canonical(_ text: String) -> String {
        String(text.uppercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }
}
