import AsyncHTTPClient
import CentaurCore
import Foundation
import NIOCore
import NIOHTTP1

/// A model served by Amazon Bedrock's Converse and ConverseStream APIs, signed with SigV4.
public struct BedrockModel: LanguageModel {
    public struct Configuration: Sendable, Hashable {
        public var region: String
        /// Defaults to `https://bedrock-runtime.{region}.amazonaws.com`.
        public var endpoint: String?
        /// A model id or inference-profile id (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`) or an ARN.
        public var modelID: String
        public var credentials: AWSCredentials
        public var timeout: Duration

        public init(region: String, endpoint: String? = nil, modelID: String, credentials: AWSCredentials, timeout: Duration = .seconds(120)) {
            self.region = region
            self.endpoint = endpoint
            self.modelID = modelID
            self.credentials = credentials
            self.timeout = timeout
        }

        var baseURL: String {
            let base = endpoint ?? "https://bedrock-runtime.\(region).amazonaws.com"
            return base.withoutTrailingSlash
        }
    }

    public let provider: String
    public let configuration: Configuration
    /// Anthropic's models on Bedrock: as ``AnthropicModel``.
    public var capabilities: ModelCapabilities { .all }
    private let exchange: HTTPExchange
    /// Injected so tests sign at a fixed time.
    private let now: @Sendable () -> Date

    public init(configuration: Configuration, httpClient: HTTPClient, provider: String = "bedrock", now: @escaping @Sendable () -> Date = { Date() }) {
        self.provider = provider
        self.configuration = configuration
        self.now = now
        self.exchange = HTTPExchange(
            client: httpClient, provider: provider, timeout: configuration.timeout,
            parseError: { status, headers, body in
                BedrockWire.error(status: status, headers: headers, body: body, provider: provider)
            })
    }

    /// The URL of an operation (`converse` or `converse-stream`), with the model id percent-encoded.
    public func url(operation: String) -> String {
        "\(configuration.baseURL)/model/\(SigV4Signer.encode(configuration.modelID, keepSlash: false))/\(operation)"
    }

    func signedRequest(_ request: ModelRequest, operation: String, accept: String) -> HTTPClientRequest {
        let body = BedrockWire.requestBody(request).jsonData()
        let url = self.url(operation: operation)
        let headers = [("content-type", "application/json"), ("accept", accept)]
        let signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "bedrock")
        let signature = signer.sign(method: "POST", url: url, headers: headers, body: body, date: now())
        var http = HTTPClientRequest(url: url)
        http.method = .POST
        for (name, value) in headers { http.headers.add(name: name, value: value) }
        for (name, value) in signature.headers { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(bytes: body))
        return http
    }

    public func respond(to request: ModelRequest) async throws -> ModelResponse {
        let clock = ContinuousClock()
        let started = clock.now
        let (_, data) = try await exchange.sendCollecting(signedRequest(request, operation: "converse", accept: "application/json"))
        var response = try BedrockWire.response(from: decodeJSON(data, provider: provider, what: "response"), provider: provider)
        response.model = configuration.modelID
        response = AnthropicWire.unwrapForcedTool(response, format: request.responseFormat)
        response.latency = clock.now - started
        return response
    }

    public func stream(_ request: ModelRequest) -> ModelStream {
        let provider = self.provider
        let modelID = configuration.modelID
        let http = signedRequest(request, operation: "converse-stream", accept: "application/vnd.amazon.eventstream")
        let exchange = self.exchange
        let forcedTool = AnthropicWire.forcedToolName(request.responseFormat)
        return .producing { continuation in
            let response = try await exchange.send(http)
            var frames = EventStreamDecoder()
            var decoder = BedrockStreamDecoder(provider: provider, modelID: modelID, forcedTool: forcedTool)
            do {
                for try await buffer in response.body {
                    let messages: [EventStreamMessage]
                    do {
                        messages = try frames.feed(buffer.readableBytesView)
                    } catch let error as EventStreamError {
                        throw ModelError.malformedResponse("corrupt event stream from \(provider): \(error)", provider: provider)
                    }
                    for message in messages {
                        for event in try decoder.decode(message) { continuation.yield(event) }
                    }
                }
            } catch {
                throw HTTPFailure.map(error, provider: provider)
            }
            if frames.hasPartialMessage {
                throw ModelError.connection("the \(provider) event stream was cut mid-message", provider: provider)
            }
            guard let closing = decoder.finish() else {
                throw ModelError.connection("the \(provider) stream ended before messageStop", provider: provider)
            }
            for event in closing { continuation.yield(event) }
        }
    }
}
