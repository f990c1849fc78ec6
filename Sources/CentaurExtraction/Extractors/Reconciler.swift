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
    /// Model values the documents do not support: shown apart, never chosen, never a disagreement.
    public var ungrounded: [UngroundedValue]
    /// Per field: other files whose printed text shows the chosen value (the licence front for the barcode's).
    public var confirmations: [String: [Provenance]]
    /// What is wrong with the evidence (unreadable barcode, nothing readable, wrong document).
    public var findings: [DocumentFinding]

    enum CodingKeys: String, CodingKey {
        case documentType = "type", documents, fields, provenance, disagreements, attempts, usage, cost, text, notes
        case ungrounded, confirmations, findings
    }

    public init(documentType: String, documents: [String], fields: [String: JSONValue], provenance: [String: [Provenance]],
                disagreements: [Disagreement], attempts: [ModelAttempt], usage: Usage, cost: Double?, text: String?, notes: [String],
                ungrounded: [UngroundedValue] = [], confirmations: [String: [Provenance]] = [:], findings: [DocumentFinding] = []) {
        self.documentType = documentType; self.documents = documents; self.fields = fields; self.provenance = provenance
        self.disagreements = disagreements; self.attempts = attempts; self.usage = usage; self.cost = cost
        self.text = text; self.notes = notes; self.ungrounded = ungrounded; self.confirmations = confirmations; self.findings = findings
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
        ungrounded = try c.decodeIfPresent([UngroundedValue].self, forKey: .ungrounded) ?? []
        confirmations = try c.decodeIfPresent([String: [Provenance]].self, forKey: .confirmations) ?? [:]
        findings = try c.decodeIfPresent([DocumentFinding].self, forKey: .findings) ?? []
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
        try c.encode(ungrounded, forKey: .ungrounded)
        try c.encode(confirmations, forKey: .confirmations)
        try c.encode(findings, forKey: .findings)
    }

    /// Whether any field was read by a source that counts (deterministic, or a model grounded in the text).
    public var hasTrustworthyValues: Bool { !fields.isEmpty }
}

/// A model's value that neither the document's text nor a deterministic source supports.
public struct UngroundedValue: Sendable, Hashable, Codable {
    public var field: String
    public var value: JSONValue
    public var source: String
    public var document: String
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

    public static func isDeterministic(_ source: String) -> Bool {
        source == "barcode" || source == "form_fields" || source == "layout_text"
    }

    public static func reconcile(_ extractions: [Extraction], type: DocumentType) -> ReconciledDocument {
        let ordered = extractions.sorted { rank($0.source) < rank($1.source) }
        var fields: [String: JSONValue] = [:]
        var provenance: [String: [Provenance]] = [:]
        var disagreements: [Disagreement] = []
        var ungrounded: [UngroundedValue] = []
        var confirmations: [String: [Provenance]] = [:]
        let text = extractions.compactMap(\.text).joined(separator: "\n\u{0C}\n")
        let textKey = canonical(text)
        // Each file's own text, for grounding model values and confirming deterministic ones.
        var fileTexts: [String: String] = [:]
        var fileWords: [String: [OCRWord]] = [:]
        for extraction in extractions {
            if let fileText = extraction.text { fileTexts[extraction.document, default: ""] += fileText + "\n" }
            fileWords[extraction.document, default: []] += extraction.words
        }
        let texts = fileTexts.mapValues { TextGrounding(text: $0) }

        for field in type.fields {
            var candidates = ordered.compactMap { extraction in extraction.fields[field.name].map { (extraction, $0) } }
            // A model's value counts only where its own file's text shows it or a deterministic source agrees.
            candidates = candidates.filter { extraction, value in
                guard extraction.source.hasPrefix("model:") else { return true }
                let inText = texts[value.provenance.document]?.contains(value.value, raw: value.provenance.raw, kind: field.kind) ?? false
                let agrees = candidates.contains { isDeterministic($0.0.source) && agree($0.1.value, value.value, kind: field.kind) }
                if inText || agrees { return true }
                ungrounded.append(UngroundedValue(field: field.name, value: value.value, source: extraction.source, document: value.provenance.document))
                return false
            }
            guard let (_, chosen) = candidates.first else { continue }
            fields[field.name] = chosen.value
            // A source that read the value from an OCR'd file without saying where (layout text, a model) gets the
            // box of the words that print it, so a reviewer sees it outlined.
            provenance[field.name] = candidates.map { _, value in
                var source = value.provenance
                if source.box == nil, let words = fileWords[source.document], !words.isEmpty,
                   let found = TextGrounding.box(of: value.value, raw: source.raw, kind: field.kind, in: words) {
                    source.page = source.page ?? found.page
                    source.box = found.box
                }
                return source
            }
            if isDeterministic(chosen.provenance.source) {
                let seen = Set(candidates.map(\.1.provenance.document))
                let confirming = texts.filter { !seen.contains($0.key) && $0.value.contains(chosen.value, raw: chosen.provenance.raw, kind: field.kind) }
                if !confirming.isEmpty {
                    // Where the OCR words show the value, its box goes with the confirmation (the reviewer sees it outlined).
                    confirmations[field.name] = confirming.keys.sorted().map { document in
                        let found = TextGrounding.box(of: chosen.value, raw: chosen.provenance.raw, kind: field.kind, in: fileWords[document] ?? [])
                        return Provenance(source: "printed_text", document: document, page: found?.page, box: found?.box)
                    }
                }
            }
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
        var findings = extractions.flatMap(\.findings)
        for document in documents where !extractions.contains(where: { $0.document == document && !$0.fields.isEmpty }) {
            let readable = texts[document]?.isReadable ?? false
            if !readable, !findings.contains(where: { $0.document == document }) {
                findings.append(DocumentFinding(
                    code: .nothingRead, document: document, message: "nothing could be read from \(document): no barcode, no form fields and no readable text",
                    applicantMessage: "We could not read anything in \(document). Take the photo again in good light, flat and in focus, with the whole document in the picture."))
            } else {
                notes.append("\(document): no field was read (no barcode or form fields, and no model answer the text supports): only its text is available")
            }
        }
        if type.id == DocumentType.driversLicense.id, !extractions.contains(where: { $0.source == "barcode" && !$0.fields.isEmpty }),
           !findings.contains(where: { $0.code == .barcodeInvalid }) {
            findings.append(DocumentFinding(
                code: .barcodeMissing, document: nil, message: "no licence barcode (PDF417 on the back) was read",
                applicantMessage: "We could not find the barcode on the back of your licence. Photograph the back again, with the whole barcode in the picture and in focus."))
        }
        return ReconciledDocument(
            documentType: type.id, documents: documents, fields: fields, provenance: provenance,
            disagreements: disagreements, attempts: attempts, usage: usage, cost: cost,
            text: text.isEmpty ? nil : text, notes: notes, ungrounded: ungrounded, confirmations: confirmations, findings: findings)
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
