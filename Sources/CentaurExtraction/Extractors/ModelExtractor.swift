import CentaurCore
import Foundation

/// Asks a language model for a document's fields under the document type's JSON Schema.
///
/// Models that read images get the page image or the PDF; text models get the document's text (OCR or
/// `pdftotext`). The schema travels as the request's JSON-Schema response format, which each provider
/// turns into its mechanism (OpenAI `json_schema`, a forced tool for Anthropic and Bedrock, a grammar for
/// llama.cpp). The answer is validated; on a violation one repair round quotes the validator's errors.
/// Every attempt is recorded with its raw output, tokens and cost.
///
/// Document text is untrusted: the prompt says so, the schema admits only the document type's fields,
/// and keys outside the schema are dropped whatever the model answers.
public struct ModelExtractor: Extractor {
    public let model: any LanguageModel
    /// The configured model name (what the request asks for and prices are keyed by).
    public let modelName: String
    public let prices: PriceTable
    /// Whether the model reads images and PDFs; if not, it gets the document's text.
    public let readsImages: Bool
    public var maxTokens = ModelExtractor.promptMaxTokens
    /// The most characters of document text sent to a text model (a local model's context is small).
    public var textLimit = 6000
    /// Labelled examples put before the document as earlier turns (a user turn with an example's text, an assistant
    /// turn with the human's values), for models that read text. Nil: zero-shot.
    public var fewShot: (any FewShotSelector)?
    /// The function variant this extractor serves (`extract.us-drivers-license/fewshot`), recorded on every attempt.
    public var variant: String?

    public var source: String { "model:\(modelName)" }

    public init(model: any LanguageModel, modelName: String, prices: PriceTable = .builtIn, readsImages: Bool) {
        self.model = model
        self.modelName = modelName
        self.prices = prices
        self.readsImages = readsImages
    }

    /// The prompt's words, as data: `Resources/prompts/extract-v1.yaml` (``PromptLibrary``). A change to them is a new
    /// version of that file, never an edit: labelled data and error rates are kept per prompt version (with the
    /// document type's version: `extract-v1/form-i9@1`).
    public static let prompt = PromptLibrary.extraction
    /// `extract-v1`.
    public static var promptVersion: String { prompt.id }
    /// Its parameters, as the file gives them.
    static var promptMaxTokens: Int { prompt.parameters["max_tokens"]?.intValue ?? 1024 }
    public static var systemPrompt: String { prompt.system }

    public func extract(_ document: Document, as type: DocumentType) async throws -> Extraction? {
        try await extract(document, as: type, text: nil)
    }

    /// The answer with each known field normalised (unknown keys kept, so the schema still rejects them).
    static func normalizedForValidation(_ answer: JSONValue, type: DocumentType) -> JSONValue {
        guard var object = answer.objectValue else { return answer }
        for (key, value) in object {
            if let field = type.field(key), value != .null { object[key] = Normalizer.normalize(value, for: field) }
        }
        return .object(object)
    }

    /// The pages of a fixed-layout form that hold its fields (the I-9's first page), cut to `limit` characters.
    static func relevantText(_ text: String, type: DocumentType, limit: Int) -> String {
        var kept = text
        if let layout = LayoutExtractor.layouts[type.id] {
            let pages = text.split(separator: "\u{0C}", omittingEmptySubsequences: false)
            let mapped = FormFieldExtractor.mappings[type.id] ?? [:]
            let wanted = Set(layout.fields.filter { mapped[$0.name] != nil }.map(\.page))
            kept = pages.enumerated().filter { wanted.contains($0.offset + 1) }.map(\.element).joined(separator: "\n")
        }
        // Layout padding costs tokens and says nothing: collapse runs of spaces.
        kept = kept.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.replacingOccurrences(of: "  +", with: "  ", options: .regularExpression) }
            .joined(separator: "\n")
        return kept.count > limit ? String(kept.prefix(limit)) : kept
    }

    /// What the user turn says before the document: the type, its instructions and its fields.
    static func variables(for type: DocumentType) -> [String: String] {
        [
            "type_title": type.title,
            "instructions": type.instructions.isEmpty ? "" : "\(type.instructions)\n",
            "fields": type.modelFields.map { "- \($0.name): \($0.description)" }.joined(separator: "\n"),
        ]
    }

    /// The user turn for a document read as text (already cut with ``relevantText(_:type:limit:)``): exactly what a
    /// text-reading model is sent, so fine-tuning data and few-shot examples match the extraction prompt.
    /// A template that lacks a value is an error, never a prompt sent with a hole in it.
    public static func textPrompt(for type: DocumentType, documentText: String) throws -> String {
        try prompt.render("text", variables(for: type).merging(["document": documentText]) { a, _ in a })
    }

    /// The document text as the model is given it: the relevant pages, padding collapsed, cut to `limit` characters.
    public static func modelText(_ text: String, type: DocumentType, limit: Int = 6000) -> String { relevantText(text, type: type, limit: limit) }

    /// Extracts with the document's text already at hand (the pipeline passes the text extractor's).
    public func extract(_ document: Document, as type: DocumentType, text: String?) async throws -> Extraction? {
        try await extract(document, as: type, text: text, subject: nil)
    }

    /// The turns that show the model worked examples: for each, the example's text as a document would be sent, and the
    /// human's values as the answer.
    public static func exampleTurns(_ examples: [FewShotExample], type: DocumentType, textLimit: Int = 6000) throws -> [Message] {
        try examples.flatMap { example -> [Message] in
            let answer = JSONValue.object(Dictionary(uniqueKeysWithValues: type.modelFields.map { ($0.name, example.answer[$0.name] ?? .null) }))
            return [.user(try textPrompt(for: type, documentText: relevantText(example.text, type: type, limit: textLimit))), .assistant(answer.jsonString())]
        }
    }

    /// Extracts with the document's text at hand, for `subject` (whose own labelled documents are never its examples).
    public func extract(_ document: Document, as type: DocumentType, text: String?, subject: String?) async throws -> Extraction? {
        var content: [ContentBlock] = []
        if readsImages {
            switch document.format {
            case .png, .jpeg: content.append(.image(ImageContent(mediaType: document.format.mediaType, data: document.data)))
            case .pdf: content.append(.document(DocumentContent(data: document.data, name: document.name)))
            }
            content.append(.text(try Self.prompt.render("image", Self.variables(for: type))))
        } else {
            var documentText: String
            if let text { documentText = text } else { documentText = try await TextExtractor().text(of: document).0 }
            return try await extract(text: documentText, name: document.name, as: type, subject: subject)
        }
        return try await ask(content, examples: [], type: type, name: document.name)
    }

    /// Extracts from a document's text alone (as a text model reads every document; datasets hold the text), with the
    /// few-shot examples for `subject` when a selector is set.
    public func extract(text: String, name: String, as type: DocumentType, subject: String?) async throws -> Extraction {
        let documentText = Self.relevantText(text, type: type, limit: textLimit)
        let examples = try await fewShot?.examples(for: type, text: documentText, subject: subject) ?? []
        return try await ask([.text(try Self.textPrompt(for: type, documentText: documentText))], examples: examples, type: type, name: name)
    }

    /// Asks under the schema (one repair round), after the examples' turns, and keeps the schema's fields.
    func ask(_ content: [ContentBlock], examples: [FewShotExample], type: DocumentType, name: String) async throws -> Extraction {
        let schemaValue = type.modelSchemaValue
        let schema = JSONSchema(schemaValue)
        var messages = try Self.exampleTurns(examples, type: type, textLimit: textLimit) + [Message(role: .user, content: content)]
        let promptVersion = examples.isEmpty ? Self.promptVersion : "\(Self.promptVersion)+\(fewShot?.label ?? "examples")"
        var attempts: [ModelAttempt] = []
        var accepted: JSONValue?
        for attempt in 1...2 {
            let request = ModelRequest(
                model: modelName, system: Self.systemPrompt, messages: messages, maxTokens: maxTokens, temperature: 0,
                responseFormat: .jsonSchema(name: type.id.replacingOccurrences(of: "-", with: "_"), schema: schemaValue))
            let response = try await model.respond(to: request)
            let raw = response.toolUses.first.map { $0.input.jsonString() } ?? response.text
            var violations: [String] = []
            var parsed: JSONValue?
            do {
                parsed = try response.structuredOutput()
                // Validate what the fields become: a date as printed or "F" for FEMALE is not worth a repair.
                violations = schema.validate(Self.normalizedForValidation(parsed!, type: type)).map(\.description)
            } catch {
                violations = ["the answer is not JSON: \(error)"]
            }
            attempts.append(ModelAttempt(
                model: modelName, attempt: attempt, rawOutput: raw, usage: response.usage,
                cost: prices.cost(of: response.usage, model: modelName), violations: violations,
                latencyMilliseconds: Int(response.latency.components.seconds * 1000 + response.latency.components.attoseconds / 1_000_000_000_000_000),
                promptVersion: "\(promptVersion)/\(type.id)@\(type.version)", variant: variant))
            if violations.isEmpty { accepted = parsed; break }
            if attempt == 1 {
                messages.append(.assistant(raw))
                let list = violations.prefix(20).map { "- \($0)" }.joined(separator: "\n")
                messages.append(.user(try Self.prompt.render("repair", ["violations": list])))
            } else if let parsed, parsed.objectValue != nil {
                // Two rounds and still invalid: keep the fields that are individually valid, and say so.
                accepted = parsed
            }
        }

        var fields: [String: ExtractedField] = [:]
        var notes: [String] = []
        if let object = accepted?.objectValue {
            let unknown = object.keys.filter { type.field($0) == nil }
            if !unknown.isEmpty { notes.append("ignored keys outside the schema: \(unknown.sorted().joined(separator: ", "))") }
            for field in type.modelFields {
                guard let value = object[field.name], value != .null else { continue }
                let normalized = Normalizer.normalize(value, for: field)
                guard normalized != .null else { continue }
                let raw = value.stringValue ?? value.jsonString()
                fields[field.name] = ExtractedField(value: normalized, provenance: Provenance(source: source, document: name, raw: raw))
            }
        } else {
            notes.append("the model gave no valid JSON in \(attempts.count) attempt(s)")
        }
        if let last = attempts.last, !last.violations.isEmpty {
            notes.append("the answer still violates the schema after the repair round: \(last.violations.prefix(3).joined(separator: "; "))")
        }
        return Extraction(documentType: type.id, document: name, source: source, fields: fields, attempts: attempts, notes: notes)
    }
}
