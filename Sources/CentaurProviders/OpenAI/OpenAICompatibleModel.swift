import AsyncHTTPClient
import CentaurCore
import Foundation
import NIOCore
import NIOHTTP1

/// A model behind an OpenAI-compatible chat completions endpoint: OpenAI, Azure OpenAI, vLLM, Ollama,
/// LM Studio or llama.cpp's server.
public struct OpenAICompatibleModel: LanguageModel {
    /// Which server dialect to speak.
    public enum Flavor: Sendable, Hashable {
        /// OpenAI itself: `Authorization: Bearer`, `max_completion_tokens`, `json_schema` response format.
        case openai
        /// Azure OpenAI: `api-key` header, `/openai/deployments/{deployment}/chat/completions?api-version=…`.
        case azure(deployment: String, apiVersion: String)
        /// vLLM, Ollama, LM Studio and other servers that follow the OpenAI shape with `max_tokens`.
        case compatible
        /// llama.cpp's server: like ``compatible`` but JSON Schema goes as `{"type":"json_object","schema":…}`.
        case llamaCpp
    }

    public struct Configuration: Sendable, Hashable {
        /// The API root, including `/v1` where the server has it (`http://127.0.0.1:8000/v1`);
        /// for Azure, the resource endpoint (`https://NAME.openai.azure.com`).
        public var baseURL: String
        public var apiKey: String?
        public var modelID: String
        public var flavor: Flavor
        public var timeout: Duration

        public init(baseURL: String, apiKey: String? = nil, modelID: String, flavor: Flavor = .compatible, timeout: Duration = .seconds(120)) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.modelID = modelID
            self.flavor = flavor
            self.timeout = timeout
        }
    }

    public let provider: String
    public let configuration: Configuration

    /// OpenAI and Azure read images; other OpenAI-shaped servers (vLLM, Ollama) are taken as text-only, and
    /// llama.cpp's server reports no usage while streaming (its prompt is counted separately).
    public var capabilities: ModelCapabilities {
        switch configuration.flavor {
        case .openai, .azure: return [.images, .tools, .jsonSchema, .usageWhileStreaming]
        case .compatible: return [.tools, .jsonSchema, .usageWhileStreaming]
        case .llamaCpp: return [.jsonSchema]
        }
    }
    private let exchange: HTTPExchange

    public init(configuration: Configuration, httpClient: HTTPClient, provider: String = "openai") {
        self.provider = provider
        self.configuration = configuration
        self.exchange = HTTPExchange(
            client: httpClient, provider: provider, timeout: configuration.timeout,
            parseError: { status, headers, body in
                OpenAIWire.error(status: status, headers: headers, body: body, provider: provider)
            })
    }

    /// The chat completions URL for this configuration.
    public var chatCompletionsURL: String {
        let base = configuration.baseURL.withoutTrailingSlash
        switch configuration.flavor {
        case .azure(let deployment, let apiVersion):
            let encoded = deployment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? deployment
            return "\(base)/openai/deployments/\(encoded)/chat/completions?api-version=\(apiVersion)"
        default:
            return base + "/chat/completions"
        }
    }

    private func httpRequest(_ request: ModelRequest, stream: Bool) -> HTTPClientRequest {
        HTTPExchange.jsonPost(url: chatCompletionsURL, headers: authorizationHeaders, body: requestBody(request, stream: stream))
    }

    private func requestBody(_ request: ModelRequest, stream: Bool) -> JSONValue {
        OpenAIWire.requestBody(request, modelID: configuration.modelID, flavor: configuration.flavor, stream: stream)
    }

    private var authorizationHeaders: [(String, String)] {
        var headers: [(String, String)] = []
        if let key = configuration.apiKey, !key.isEmpty {
            if case .azure = configuration.flavor {
                headers.append(("api-key", key))
            } else {
                headers.append(("authorization", "Bearer \(key)"))
            }
        }
        return headers
    }

    public func respond(to request: ModelRequest) async throws -> ModelResponse {
        let clock = ContinuousClock()
        let started = clock.now
        let data = try await exchange.postCollecting(url: chatCompletionsURL, headers: authorizationHeaders, body: requestBody(request, stream: false))
        var response = try OpenAIWire.response(from: decodeJSON(data, provider: provider, what: "response"), provider: provider)
        response.latency = clock.now - started
        return response
    }

    public func stream(_ request: ModelRequest) -> ModelStream {
        let provider = self.provider
        let httpRequest = self.httpRequest(request, stream: true)
        let exchange = self.exchange
        let countsTokens = configuration.flavor == .llamaCpp
        return .producing { continuation in
            let response = try await exchange.send(httpRequest)
            var decoder = OpenAIStreamDecoder(provider: provider)
            do {
                for try await event in response.body.serverSentEvents() {
                    for output in try decoder.decode(event) { continuation.yield(output) }
                    if decoder.sawDone { break }
                }
            } catch {
                throw HTTPFailure.map(error, provider: provider)
            }
            guard let closing = decoder.finish() else {
                throw ModelError.connection("the \(provider) stream ended before its last chunk", provider: provider)
            }
            if countsTokens, !decoder.sawUsage {
                // llama-cpp-python's server sends no usage when streaming: it emits one token per chunk, and the
                // prompt is counted as a whole answer counts it, chat template included.
                // If the count cannot be had, an estimate that errs high (three bytes a token) stands in: never 0,
                // which would let a streamed call pass token budgets uncounted.
                let input = (try? await self.promptTokens(request)) ?? max(1, request.approximateTextSize / 3)
                continuation.yield(.usage(Usage(inputTokens: input, outputTokens: decoder.deltaCount)))
            }
            for output in closing { continuation.yield(output) }
        }
    }

    /// The prompt's tokens as the server counts them for a whole answer, chat template and tools included (any
    /// model's template, rendered by the server itself): the same request, not streamed, asked for one token and no
    /// grammar. llama.cpp keeps the prompt it has just evaluated and reuses the common prefix, so this costs about
    /// one token's generation.
    func promptTokens(_ request: ModelRequest) async throws -> Int {
        var probe = request
        probe.maxTokens = 1
        probe.responseFormat = .text
        let data = try await exchange.postCollecting(url: chatCompletionsURL, headers: authorizationHeaders, body: requestBody(probe, stream: false))
        guard let tokens = try decodeJSON(data, provider: provider, what: "usage")["usage"]?["prompt_tokens"]?.intValue else {
            throw ModelError(kind: .malformedResponse, message: "the \(provider) answer has no usage.prompt_tokens", provider: provider)
        }
        return tokens
    }

    /// Lists model ids from `GET /models`; used to check that a server is up.
    public func listModels() async throws -> [String] {
        let base = configuration.baseURL.withoutTrailingSlash
        var request = HTTPClientRequest(url: base + "/models")
        if let key = configuration.apiKey, !key.isEmpty { request.headers.add(name: "authorization", value: "Bearer \(key)") }
        let (_, data) = try await exchange.sendCollecting(request)
        let json = try decodeJSON(data, provider: provider, what: "model list")
        return json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }
}
