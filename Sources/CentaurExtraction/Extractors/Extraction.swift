import CentaurCore
import Foundation

/// Where on a page a value was read: PDF points from the page's bottom-left (form fields) or image
/// pixels from the top-left (OCR, barcodes), as `unit` says.
public struct BoundingBox: Sendable, Hashable, Codable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public var unit: String

    public init(x: Double, y: Double, width: Double, height: Double, unit: String) {
        self.x = x; self.y = y; self.width = width; self.height = height; self.unit = unit
    }
}

/// Where one field's value came from.
public struct Provenance: Sendable, Hashable, Codable {
    /// `barcode`, `form_fields`, `text` or `model:<name>`.
    public var source: String
    /// The file it was read from.
    public var document: String
    /// 1-based page (PDFs), when known.
    public var page: Int?
    /// The value exactly as the source gave it, before normalisation.
    public var raw: String?
    /// The source's own name for the field: an AAMVA element id (`DBB`) or an AcroForm field name.
    public var element: String?
    public var box: BoundingBox?

    public init(source: String, document: String, page: Int? = nil, raw: String? = nil, element: String? = nil, box: BoundingBox? = nil) {
        self.source = source; self.document = document; self.page = page; self.raw = raw; self.element = element; self.box = box
    }
}

/// One normalised value with where it came from.
public struct ExtractedField: Sendable, Hashable, Codable {
    public var value: JSONValue
    public var provenance: Provenance

    public init(value: JSONValue, provenance: Provenance) {
        self.value = value; self.provenance = provenance
    }
}

/// One call to a model during extraction, kept whole: the flywheel and the cost report read these.
public struct ModelAttempt: Sendable, Hashable, Codable {
    public var model: String
    /// 1 for the first call, 2 for the repair round.
    public var attempt: Int
    public var rawOutput: String
    public var usage: Usage
    public var cost: Double?
    public var violations: [String]
    public var latencyMilliseconds: Int
    /// The version of the extraction prompt that was sent (``ModelExtractor/promptVersion``), for per-prompt error rates.
    public var promptVersion: String?
    /// The function and variant that chose this model and prompt (`extract.us-drivers-license/fewshot`), when one did.
    public var variant: String?

    enum CodingKeys: String, CodingKey {
        case model, attempt, rawOutput = "raw_output", usage, cost, violations, latencyMilliseconds = "latency_ms"
        case promptVersion = "prompt_version", variant
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        attempt = try c.decode(Int.self, forKey: .attempt)
        rawOutput = try c.decode(String.self, forKey: .rawOutput)
        usage = try c.decode(UsageJSON.self, forKey: .usage).usage
        cost = try c.decodeIfPresent(Double.self, forKey: .cost)
        violations = try c.decode([String].self, forKey: .violations)
        latencyMilliseconds = try c.decode(Int.self, forKey: .latencyMilliseconds)
        promptVersion = try c.decodeIfPresent(String.self, forKey: .promptVersion)
        variant = try c.decodeIfPresent(String.self, forKey: .variant)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(attempt, forKey: .attempt)
        try c.encode(rawOutput, forKey: .rawOutput)
        try c.encode(UsageJSON(usage), forKey: .usage)
        try c.encodeIfPresent(cost, forKey: .cost)
        try c.encode(violations, forKey: .violations)
        try c.encode(latencyMilliseconds, forKey: .latencyMilliseconds)
        try c.encodeIfPresent(promptVersion, forKey: .promptVersion)
        try c.encodeIfPresent(variant, forKey: .variant)
    }

    init(model: String, attempt: Int, rawOutput: String, usage: Usage, cost: Double?, violations: [String], latencyMilliseconds: Int,
         promptVersion: String? = nil, variant: String? = nil) {
        self.model = model; self.attempt = attempt; self.rawOutput = rawOutput; self.usage = usage
        self.cost = cost; self.violations = violations; self.latencyMilliseconds = latencyMilliseconds
        self.promptVersion = promptVersion; self.variant = variant
    }
}

/// Token counts in the snake_case the rest of Centaur's JSON uses.
struct UsageJSON: Codable {
    var input_tokens: Int
    var output_tokens: Int
    var cache_read_tokens: Int
    var cache_write_tokens: Int

    init(_ usage: Usage) {
        input_tokens = usage.inputTokens; output_tokens = usage.outputTokens
        cache_read_tokens = usage.cacheReadTokens; cache_write_tokens = usage.cacheWriteTokens
    }

    var usage: Usage {
        Usage(inputTokens: input_tokens, outputTokens: output_tokens, cacheReadTokens: cache_read_tokens, cacheWriteTokens: cache_write_tokens)
    }
}

/// Something wrong with the evidence a document gave: an unreadable or invalid barcode, a document with no
/// readable text, a file that is not the document it claims to be. Findings are review reasons, and the
/// applicant sees ``applicantMessage``.
public struct DocumentFinding: Sendable, Hashable, Codable {
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// A PDF417 symbol was decoded but is not a valid AAMVA licence barcode.
        case barcodeInvalid = "barcode_invalid"
        /// No licence barcode was read from any file of the licence.
        case barcodeMissing = "barcode_missing"
        /// A file has no readable text and gave no field.
        case nothingRead = "nothing_read"
        /// The file is not the document it was uploaded as.
        case wrongDocument = "wrong_document"
    }

    public var code: Code
    /// The file it is about (nil: the document as a whole).
    public var document: String?
    /// For reviewers and logs.
    public var message: String
    /// For the applicant: what went wrong and what to do.
    public var applicantMessage: String

    enum CodingKeys: String, CodingKey { case code, document, message, applicantMessage = "applicant_message" }

    public init(code: Code, document: String?, message: String, applicantMessage: String) {
        self.code = code; self.document = document; self.message = message; self.applicantMessage = applicantMessage
    }
}

/// What one extractor read from one document.
public struct Extraction: Sendable, Hashable, Codable {
    public var documentType: String
    public var document: String
    public var source: String
    public var fields: [String: ExtractedField]
    /// The document's text, when the source produced it (OCR, pdftotext).
    public var text: String?
    public var attempts: [ModelAttempt]
    public var notes: [String]
    public var findings: [DocumentFinding]
    /// The OCR'd words with their boxes, when the text came from OCR (for outlining confirmed values).
    public var words: [OCRWord]

    public init(documentType: String, document: String, source: String, fields: [String: ExtractedField] = [:],
                text: String? = nil, attempts: [ModelAttempt] = [], notes: [String] = [], findings: [DocumentFinding] = [],
                words: [OCRWord] = []) {
        self.documentType = documentType; self.document = document; self.source = source; self.fields = fields
        self.text = text; self.attempts = attempts; self.notes = notes; self.findings = findings; self.words = words
    }

    enum CodingKeys: String, CodingKey {
        case documentType = "document_type", document, source, fields, text, attempts, notes, findings, words
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        documentType = try c.decode(String.self, forKey: .documentType)
        document = try c.decode(String.self, forKey: .document)
        source = try c.decode(String.self, forKey: .source)
        fields = try c.decodeIfPresent([String: ExtractedField].self, forKey: .fields) ?? [:]
        text = try c.decodeIfPresent(String.self, forKey: .text)
        attempts = try c.decodeIfPresent([ModelAttempt].self, forKey: .attempts) ?? []
        notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
        findings = try c.decodeIfPresent([DocumentFinding].self, forKey: .findings) ?? []
        words = try c.decodeIfPresent([OCRWord].self, forKey: .words) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(documentType, forKey: .documentType)
        try c.encode(document, forKey: .document)
        try c.encode(source, forKey: .source)
        try c.encode(fields, forKey: .fields)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(notes, forKey: .notes)
        try c.encode(findings, forKey: .findings)
        if !words.isEmpty { try c.encode(words, forKey: .words) }
    }
}

/// Reads one kind of evidence from a document. An extractor that finds nothing of its kind (no barcode,
/// no form fields) returns nil; one that fails for a reason the user must know throws.
public protocol Extractor: Sendable {
    /// The provenance source name (`barcode`, `form_fields`, `text`, `model:<name>`).
    var source: String { get }
    func extract(_ document: Document, as type: DocumentType) async throws -> Extraction?
}
