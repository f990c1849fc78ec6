import AsyncHTTPClient
import CentaurCore
import Foundation
import NIOCore
import NIOHTTP1

/// A model served by the Anthropic Messages API (`POST /v1/messages`).
///
/// ```swift
/// let model = AnthropicModel(
///     configuration: .init(apiKey: key, modelID: "claude-sonnet-4-5"),
///     httpClient: .shared)
/// let answer = try await model.respond(to: ModelRequest(model: "claude", messages: [.user("Hi")]))
/// ```
public struct AnthropicModel: LanguageModel {
    public struct Configuration: Sendable, Hashable {
        public var baseURL: String
        public var apiKey: String
        /// The upstream model id sent as `model`.
        public var modelID: String
        /// The `anthropic-version` header.
        public var version: String
        /// The most time to wait for the response head.
        public var timeout: Duration

        public init(
            baseURL: String = "https://api.anthropic.com", apiKey: String, modelID: String,
            version: String = "2023-06-01", timeout: Duration = .seconds(120)
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.modelID = modelID
            self.version = version
            self.timeout = timeout
        }
    }

    public let provider: String
    public let configuration: Configuration
    /// Images and PDFs as content blocks, tools, a JSON Schema as a forced tool, usage in the stream's events.
    public var capabilities: ModelCapabilities { .all }
    private let exchange: HTTPExchange

    public init(configuration: Configuration, httpClient: HTTPClient, provider: String = "anthropic") {
        self.provider = provider
        self.configuration = configuration
        self.exchange = HTTPExchange(
            client: httpClient, provider: provider, timeout: configuration.timeout,
            parseError: { status, headers, body in
                AnthropicWire.error(status: status, headers: headers, body: body, provider: provider)
            })
    }

    private var messagesURL: String { configuration.baseURL.withoutTrailingSlash + "/v1/messages" }
    private var headers: [(String, String)] { [("x-api-key", configuration.apiKey), ("anthropic-version", configuration.version)] }

    private func httpRequest(_ request: ModelRequest, stream: Bool) -> HTTPClientRequest {
        HTTPExchange.jsonPost(url: messagesURL, headers: headers, body: AnthropicWire.requestBody(request, modelID: configuration.modelID, stream: stream))
    }

    public func respond(to request: ModelRequest) async throws -> ModelResponse {
        let clock = ContinuousClock()
        let started = clock.now
        let data = try await exchange.postCollecting(
            url: messagesURL, headers: headers, body: AnthropicWire.requestBody(request, modelID: configuration.modelID, stream: false))
        var response = try AnthropicWire.response(from: decodeJSON(data, provider: provider, what: "response"), provider: provider)
        response = AnthropicWire.unwrapForcedTool(response, format: request.responseFormat)
        response.latency = clock.now - started
        return response
    }

    public func stream(_ request: ModelRequest) -> ModelStream {
        let provider = self.provider
        let httpRequest = self.httpRequest(request, stream: true)
        let exchange = self.exchange
        let forcedTool = AnthropicWire.forcedToolName(request.responseFormat)
        return .producing { continuation in
            let response = try await exchange.send(httpRequest)
            var decoder = AnthropicStreamDecoder(provider: provider, forcedTool: forcedTool)
            do {
                for try await event in response.body.serverSentEvents() {
                    for output in try decoder.decode(event) { continuation.yield(output) }
                    if decoder.isFinished { return }
                }
            } catch {
                throw HTTPFailure.map(error, provider: provider)
            }
            if !decoder.isFinished {
                throw ModelError.connection("the \(provider) stream ended before message_stop", provider: provider)
            }
        }
    }
}
