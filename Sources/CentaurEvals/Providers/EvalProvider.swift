import CentaurCore
import CentaurExtraction
import CentaurGateway
import Foundation

/// What a provider is asked: the rendered prompt, any documents, and the JSON Schema answers must follow.
public struct EvalRequest: Sendable {
    public var prompt: String
    public var documents: [Document]
    public var schema: JSONValue?
    public var documentType: DocumentType?
    public var config: [String: JSONValue]

    public init(prompt: String, documents: [Document] = [], schema: JSONValue? = nil, documentType: DocumentType? = nil, config: [String: JSONValue] = [:]) {
        self.prompt = prompt; self.documents = documents; self.schema = schema; self.documentType = documentType; self.config = config
    }
}

/// One answer with what it cost.
public struct EvalAnswer: Sendable, Hashable, Codable {
    public var output: String
    public var inputTokens: Int
    public var outputTokens: Int
    public var costUSD: Double?
    public var latencyMS: Double

    enum CodingKeys: String, CodingKey {
        case output, inputTokens = "input_tokens", outputTokens = "output_tokens", costUSD = "cost_usd", latencyMS = "latency_ms"
    }

    public init(output: String, inputTokens: Int = 0, outputTokens: Int = 0, costUSD: Double? = nil, latencyMS: Double = 0) {
        self.output = output; self.inputTokens = inputTokens; self.outputTokens = outputTokens; self.costUSD = costUSD; self.latencyMS = latencyMS
    }
}

/// Something a suite evaluates: a model, a route, or a deterministic extractor.
public protocol EvalProvider: Sendable {
    func answer(_ request: EvalRequest) async throws -> EvalAnswer
}

/// Any ``LanguageModel``: documents go as images/PDFs when `config.vision` is true, otherwise as their text
/// (OCR or PDF text) after the prompt; a schema becomes the response format.
public struct ModelProvider: EvalProvider {
    public let model: any LanguageModel
    public let modelName: String
    public let prices: PriceTable
    public var temperature: Double?
    public var maxTokens: Int

    public init(model: any LanguageModel, modelName: String, prices: PriceTable = .builtIn, temperature: Double? = 0, maxTokens: Int = 1024) {
        self.model = model; self.modelName = modelName; self.prices = prices; self.temperature = temperature; self.maxTokens = maxTokens
    }

    public func answer(_ request: EvalRequest) async throws -> EvalAnswer {
        var content: [ContentBlock] = []
        let vision = request.config["vision"] == true
        var text = request.prompt
        for document in request.documents {
            if vision {
                content.append(document.format == .pdf
                    ? .document(DocumentContent(mediaType: "application/pdf", data: document.data, name: document.name))
                    : .image(ImageContent(mediaType: document.format.mediaType, data: document.data)))
            } else if !request.prompt.contains(document.name) {
                let (extracted, _) = try await TextExtractor().text(of: document)
                text += "\n\n<document name=\"\(document.name)\">\n\(extracted ?? "")\n</document>"
            }
        }
        content.append(.text(text))
        var modelRequest = ModelRequest(model: modelName, messages: [Message(role: .user, content: content)])
        modelRequest.maxTokens = request.config["max_tokens"]?.intValue ?? maxTokens
        modelRequest.temperature = request.config["temperature"]?.doubleValue ?? temperature
        if let schema = request.schema ?? request.documentType?.modelSchemaValue {
            modelRequest.responseFormat = .jsonSchema(name: "answer", schema: schema)
        }
        let response = try await model.respond(to: modelRequest)
        let output = response.toolUses.first.map { $0.input.jsonString() } ?? response.text
        return EvalAnswer(output: output, inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens,
                          costUSD: prices.cost(of: response.usage, model: modelName),
                          latencyMS: Double(response.latency.components.seconds) * 1000 + Double(response.latency.components.attoseconds) / 1e15)
    }
}

/// Centaur's offline extractors (barcode, form fields, layout, OCR; no model) reading the case's documents:
/// the answer is the reconciled fields as JSON. Provider id `centaur:extract`.
public struct ExtractorProvider: EvalProvider {
    public init() {}

    public func answer(_ request: EvalRequest) async throws -> EvalAnswer {
        let started = ContinuousClock.now
        let pipeline = DocumentPipeline(modelUse: .never)
        var perDocument: [[Extraction]] = []
        for document in request.documents { perDocument.append(try await pipeline.extract(document, as: request.documentType)) }
        let reconciled = DocumentPipeline.reconcile(perDocument)
        let fields = reconciled.first { $0.documentType == request.documentType?.id } ?? reconciled.first
        let elapsed = ContinuousClock.now - started
        return EvalAnswer(output: JSONValue.object(fields?.fields ?? [:]).jsonString(), costUSD: 0,
                          latencyMS: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }
}

/// promptfoo's `echo`: the prompt is the answer (for testing suites).
public struct EchoProvider: EvalProvider {
    public init() {}
    public func answer(_ request: EvalRequest) async throws -> EvalAnswer { EvalAnswer(output: request.prompt, costUSD: 0) }
}

/// A stand-in with a fixed latency and a scripted answer (benchmarks and tests).
public struct FakeLatencyProvider: EvalProvider {
    public let latency: Duration
    public let respond: @Sendable (EvalRequest) -> String

    public init(latency: Duration, respond: @escaping @Sendable (EvalRequest) -> String = { $0.prompt }) {
        self.latency = latency
        self.respond = respond
    }

    public func answer(_ request: EvalRequest) async throws -> EvalAnswer {
        try await Task.sleep(for: latency)
        return EvalAnswer(output: respond(request), inputTokens: 10, outputTokens: 5, costUSD: 0.00001,
                          latencyMS: Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15)
    }
}
