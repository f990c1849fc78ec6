import AsyncHTTPClient
import CentaurCore
import Foundation

/// An embedding model behind an OpenAI-compatible `POST /embeddings` (OpenAI, Azure OpenAI, vLLM, Ollama, or another
/// Centaur): `{model, input: [texts], encoding_format: "float", dimensions}` → `{data: [{index, embedding}], usage}`.
public struct OpenAIEmbeddingModel: EmbeddingModel {
    public let name: String
    public let dimensions: Int
    public let provider: String
    public let configuration: OpenAICompatibleModel.Configuration
    private let exchange: HTTPExchange

    /// - Parameter dimensions: the length of its vectors when known (0: learnt from the first answer's).
    public init(configuration: OpenAICompatibleModel.Configuration, dimensions: Int?, httpClient: HTTPClient, provider: String = "openai") {
        self.name = configuration.modelID
        self.dimensions = dimensions ?? 0
        self.provider = provider
        self.configuration = configuration
        self.exchange = HTTPExchange(
            client: httpClient, provider: provider, timeout: configuration.timeout,
            parseError: { status, headers, body in OpenAIWire.error(status: status, headers: headers, body: body, provider: provider) })
    }

    /// The embeddings URL for this configuration.
    public var embeddingsURL: String {
        let base = configuration.baseURL.withoutTrailingSlash
        if case .azure(let deployment, let apiVersion) = configuration.flavor {
            let encoded = deployment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? deployment
            return "\(base)/openai/deployments/\(encoded)/embeddings?api-version=\(apiVersion)"
        }
        return base + "/embeddings"
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        try await embeddings(for: EmbeddingRequest(inputs: texts)).vectors
    }

    public func embeddings(for request: EmbeddingRequest) async throws -> EmbeddingResult {
        var headers: [(String, String)] = []
        if let key = configuration.apiKey, !key.isEmpty {
            if case .azure = configuration.flavor { headers.append(("api-key", key)) } else { headers.append(("authorization", "Bearer \(key)")) }
        }
        let body = JSONValue.object([
            "model": .string(configuration.modelID),
            "input": .array(request.inputs.map(JSONValue.string)),
            "encoding_format": .string("float"),
            "dimensions": request.dimensions.map { .number(Double($0)) },
        ].compactMapValues { $0 })
        let data = try await exchange.postCollecting(url: embeddingsURL, headers: headers, body: body)
        return try Self.result(from: decodeJSON(data, provider: provider, what: "embeddings answer"), count: request.inputs.count, provider: provider)
    }

    /// Reads an OpenAI embeddings answer: one vector per input, put back in input order by `index`.
    static func result(from json: JSONValue, count: Int, provider: String) throws -> EmbeddingResult {
        guard let items = json["data"]?.arrayValue else {
            throw ModelError.malformedResponse("\(provider) sent an embeddings answer without data", provider: provider)
        }
        var vectors = [[Float]?](repeating: nil, count: count)
        for (position, item) in items.enumerated() {
            let index = item["index"]?.intValue ?? position
            guard vectors.indices.contains(index), let values = item["embedding"]?.arrayValue else {
                throw ModelError.malformedResponse("\(provider) sent an embedding with no vector or an index out of range (\(index))", provider: provider)
            }
            vectors[index] = try values.map { value in
                guard let number = value.doubleValue else { throw ModelError.malformedResponse("\(provider) sent a vector with a value that is not a number", provider: provider) }
                return Float(number)
            }
        }
        guard vectors.allSatisfy({ $0 != nil }) else {
            throw ModelError.malformedResponse("\(provider) sent \(items.count) embeddings for \(count) inputs", provider: provider)
        }
        let tokens = json["usage"]?["prompt_tokens"]?.intValue ?? json["usage"]?["total_tokens"]?.intValue ?? 0
        return EmbeddingResult(vectors: vectors.map { $0! }, usage: Usage(inputTokens: tokens), model: json["model"]?.stringValue)
    }
}
