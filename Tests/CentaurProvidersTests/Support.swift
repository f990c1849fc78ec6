import AsyncHTTPClient
import CentaurCore
import CentaurTestSupport
import Foundation
import NIOCore
import Testing

@testable import CentaurProviders

/// Reads a file under Fixtures/.
func fixture(_ path: String) throws -> Data {
    let url = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/\(path)"))
    return try Data(contentsOf: url)
}

func fixtureJSON(_ path: String) throws -> JSONValue {
    try JSONValue(parsing: fixture(path))
}

/// Runs `body` with a fresh HTTP client and a fake upstream, shutting both down after.
/// The timeouts are generous: these tests are about how answers and faults are classified, and on a loaded
/// two-core machine (OCR tests beside them) a fake upstream can take seconds to answer. The timeout test sets its own.
func withUpstream<T>(
    _ handler: @escaping FakeUpstream.Handler,
    _ body: (FakeUpstream, HTTPClient) async throws -> T
) async throws -> T {
    let upstream = try await FakeUpstream.start(handler: handler)
    let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(timeout: .init(connect: .seconds(30), read: .seconds(60))))
    do {
        let result = try await body(upstream, client)
        try await client.shutdown()
        try await upstream.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        try? await upstream.shutdown()
        throw error
    }
}

/// The three HTTP providers, for tests that run the same scenario against each.
enum HTTPProvider: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case anthropic, bedrock, openai

    var testDescription: String { rawValue }

    func model(baseURL: String, client: HTTPClient, timeout: Duration = .seconds(60)) -> any LanguageModel {
        switch self {
        case .anthropic:
            AnthropicModel(configuration: .init(baseURL: baseURL, apiKey: "sk-test", modelID: "claude-sonnet-4-5", timeout: timeout), httpClient: client)
        case .bedrock:
            BedrockModel(
                configuration: .init(region: "us-east-1", endpoint: baseURL, modelID: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                                     credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"), timeout: timeout),
                httpClient: client)
        case .openai:
            OpenAICompatibleModel(configuration: .init(baseURL: baseURL + "/v1", apiKey: "sk-test", modelID: "gpt-4o-mini", flavor: .openai, timeout: timeout), httpClient: client)
        }
    }

    /// A recorded successful stream in the provider's framing.
    func streamReply(interval: Duration = .zero, end: FakeUpstream.StreamEnd = .complete) throws -> FakeUpstream.Reply {
        switch self {
        case .anthropic:
            return .sse(String(decoding: try fixture("anthropic/stream-text.sse"), as: UTF8.self), chunkSize: 40, interval: interval, end: end)
        case .openai:
            return .sse(String(decoding: try fixture("openai/stream-text.sse"), as: UTF8.self), chunkSize: 40, interval: interval, end: end)
        case .bedrock:
            return .stream(
                status: 200, headers: [("content-type", "application/vnd.amazon.eventstream")],
                chunks: try fixture("bedrock/stream-text.eventstream").chunked(into: 40), interval: interval, end: end)
        }
    }

    /// A long stream for cancellation tests: many small chunks.
    func longStreamReply(chunks: Int, interval: Duration) -> FakeUpstream.Reply {
        switch self {
        case .anthropic:
            let start = #"{"type":"message_start","message":{"id":"m","model":"claude","usage":{"input_tokens":1,"output_tokens":1}}}"#
            let delta = #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"tick "}}"#
            let events = ["event: message_start\ndata: \(start)\n\n"] + Array(repeating: "event: content_block_delta\ndata: \(delta)\n\n", count: chunks)
            return .stream(status: 200, headers: [("content-type", "text/event-stream")], chunks: events.map { Data($0.utf8) }, interval: interval, end: .complete)
        case .openai:
            let delta = #"{"id":"c","model":"gpt","choices":[{"index":0,"delta":{"content":"tick "},"finish_reason":null}]}"#
            let events = Array(repeating: "data: \(delta)\n\n", count: chunks)
            return .stream(status: 200, headers: [("content-type", "text/event-stream")], chunks: events.map { Data($0.utf8) }, interval: interval, end: .complete)
        case .bedrock:
            let frames = [EventStreamMessage.event("messageStart", json: #"{"role":"assistant"}"#).encoded()]
                + Array(repeating: EventStreamMessage.event("contentBlockDelta", json: #"{"contentBlockIndex":0,"delta":{"text":"tick "}}"#).encoded(), count: chunks)
            return .stream(status: 200, headers: [("content-type", "application/vnd.amazon.eventstream")], chunks: frames, interval: interval, end: .complete)
        }
    }

    /// An error response in the provider's shape.
    func errorReply(status: Int, type: String, message: String, headers: [(String, String)] = []) -> FakeUpstream.Reply {
        switch self {
        case .anthropic:
            return .json(status: status, #"{"type":"error","error":{"type":"\#(type)","message":"\#(message)"}}"#, headers: headers)
        case .openai:
            return .json(status: status, #"{"error":{"message":"\#(message)","type":"\#(type)","param":null,"code":null}}"#, headers: headers)
        case .bedrock:
            return .json(status: status, #"{"message":"\#(message)"}"#, headers: [("x-amzn-ErrorType", "\(type):http://internal.amazon.com/coral/com.amazon.bedrock/")] + headers)
        }
    }
}

extension ModelRequest {
    static let hello = ModelRequest(model: "m", messages: [.user("Hello")], maxTokens: 64)
}
