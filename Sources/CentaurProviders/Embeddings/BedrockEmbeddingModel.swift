import AsyncHTTPClient
import CentaurCore
import Foundation
import NIOCore

/// An embedding model on Amazon Bedrock, called with `InvokeModel` and signed with SigV4. Amazon Titan Text Embeddings
/// (`amazon.titan-embed-text-v2:0`, `…-v1`) take one text a call: `{inputText, dimensions, normalize}` →
/// `{embedding, inputTextTokenCount}`; the texts of a request go four calls at a time. Cohere Embed
/// (`cohere.embed-…`) takes up to 96 texts a call: `{texts, input_type: "search_document"}` → `{embeddings}`, its
/// tokens from the `X-Amzn-Bedrock-Input-Token-Count` header.
public struct BedrockEmbeddingModel: EmbeddingModel {
    public let name: String
    public let dimensions: Int
    public let provider: String
    public let configuration: BedrockModel.Configuration
    private let exchange: HTTPExchange
    private let now: @Sendable () -> Date

    public init(configuration: BedrockModel.Configuration, dimensions: Int?, httpClient: HTTPClient, provider: String = "bedrock",
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.name = configuration.modelID
        self.dimensions = dimensions ?? 0
        self.provider = provider
        self.configuration = configuration
        self.now = now
        self.exchange = HTTPExchange(
            client: httpClient, provider: provider, timeout: configuration.timeout,
            parseError: { status, headers, body in BedrockWire.error(status: status, headers: headers, body: body, provider: provider) })
    }

    var isCohere: Bool { configuration.modelID.contains("cohere.embed") }

    public var invokeURL: String {
        "\(configuration.baseURL)/model/\(SigV4Signer.encode(configuration.modelID, keepSlash: false))/invoke"
    }

    func invoke(_ body: JSONValue) async throws -> (JSONValue, Int?) {
        let bytes = body.jsonData()
        let headers = [("content-type", "application/json"), ("accept", "application/json")]
        let signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "bedrock")
        let signature = signer.sign(method: "POST", url: invokeURL, headers: headers, body: bytes, date: now())
        var http = HTTPClientRequest(url: invokeURL)
        http.method = .POST
        for (name, value) in headers + signature.headers { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(bytes: bytes))
        let (response, data) = try await exchange.sendCollecting(http)
        let tokens = response.headers.first(name: "x-amzn-bedrock-input-token-count").flatMap { Int($0) }
        return (try decodeJSON(data, provider: provider, what: "embeddings answer"), tokens)
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        try await embeddings(for: EmbeddingRequest(inputs: texts)).vectors
    }

    public func embeddings(for request: EmbeddingRequest) async throws -> EmbeddingResult {
        isCohere ? try await cohere(request) : try await titan(request)
    }

    func vector(_ value: JSONValue?) throws -> [Float] {
        guard let values = value?.arrayValue, !values.isEmpty else {
            throw ModelError.malformedResponse("\(provider) sent an embeddings answer without a vector", provider: provider)
        }
        return try values.map {
            guard let number = $0.doubleValue else { throw ModelError.malformedResponse("\(provider) sent a vector value that is not a number", provider: provider) }
            return Float(number)
        }
    }

    func titan(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        let isVersion2 = configuration.modelID.contains("embed-text-v2")
        var vectors = [[Float]](repeating: [], count: request.inputs.count)
        var tokens = 0
        for start in stride(from: 0, to: request.inputs.count, by: 4) {
            let indexes = start..<min(start + 4, request.inputs.count)
            let answers = try await withThrowingTaskGroup(of: (Int, [Float], Int).self) { group in
                for index in indexes {
                    var body: [String: JSONValue] = ["inputText": .string(request.inputs[index])]
                    if isVersion2 {
                        body["normalize"] = .bool(true)
                        if let dimensions = request.dimensions { body["dimensions"] = .number(Double(dimensions)) }
                    }
                    group.addTask {
                        let (json, header) = try await invoke(.object(body))
                        return (index, try vector(json["embedding"]), json["inputTextTokenCount"]?.intValue ?? header ?? 0)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (index, vector, count) in answers {
                vectors[index] = vector
                tokens += count
            }
        }
        return EmbeddingResult(vectors: vectors, usage: Usage(inputTokens: tokens), model: configuration.modelID)
    }

    func cohere(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        var vectors: [[Float]] = []
        var tokens = 0
        for start in stride(from: 0, to: request.inputs.count, by: 96) {
            let texts = Array(request.inputs[start..<min(start + 96, request.inputs.count)])
            let (json, header) = try await invoke(.object([
                "texts": .array(texts.map(JSONValue.string)), "input_type": .string("search_document"), "truncate": .string("END"),
            ]))
            // embeddings_floats: a list of vectors; embeddings_by_type: {"float": [...]}.
            let list = json["embeddings"]?.arrayValue ?? json["embeddings"]?["float"]?.arrayValue
            guard let list, list.count == texts.count else {
                throw ModelError.malformedResponse("\(provider) sent \(list?.count ?? 0) embeddings for \(texts.count) texts", provider: provider)
            }
            vectors += try list.map { try vector($0) }
            tokens += header ?? texts.reduce(0) { $0 + max(1, ($1.utf8.count + 2) / 3) }
        }
        return EmbeddingResult(vectors: vectors, usage: Usage(inputTokens: tokens), model: configuration.modelID)
    }
}
