import AsyncHTTPClient
import CentaurCore
import CentaurTestSupport
import Foundation
import Testing

@testable import CentaurProviders

/// Each provider against a fake upstream on 127.0.0.1: success, streaming and every failure mode.
struct ProviderHTTPTests {
    @Test("a recorded stream arrives as text with usage", arguments: HTTPProvider.allCases)
    func streamingSucceeds(provider: HTTPProvider) async throws {
        let reply = try provider.streamReply()
        try await withUpstream({ _ in reply }) { upstream, client in
            let model = provider.model(baseURL: upstream.baseURL, client: client)
            let response = try await model.stream(.hello).collect()
            switch provider {
            case .anthropic:
                #expect(response.text == "Hello!")
                #expect(response.usage == Usage(inputTokens: 25, outputTokens: 15))
            case .openai:
                #expect(response.text == "Hello!")
                #expect(response.usage == Usage(inputTokens: 9, outputTokens: 2))
            case .bedrock:
                #expect(response.text == "Hello! How can I help?")
                #expect(response.usage == Usage(inputTokens: 12, outputTokens: 9, cacheReadTokens: 4))
            }
            #expect(response.stopReason == .endTurn)
            #expect(response.timeToFirstToken != nil)
        }
    }

    @Test("the request reaches the documented path with the documented auth headers", arguments: HTTPProvider.allCases)
    func requestShape(provider: HTTPProvider) async throws {
        let reply = try provider.streamReply()
        try await withUpstream({ _ in reply }) { upstream, client in
            _ = try await provider.model(baseURL: upstream.baseURL, client: client).stream(.hello).collect()
            let request = try #require(upstream.requests.first)
            #expect(request.method == "POST")
            #expect(request.header("content-type") == "application/json")
            switch provider {
            case .anthropic:
                #expect(request.path == "/v1/messages")
                #expect(request.header("x-api-key") == "sk-test")
                #expect(request.header("anthropic-version") == "2023-06-01")
                #expect(try JSONValue(parsing: request.body)["stream"] == true)
            case .openai:
                #expect(request.path == "/v1/chat/completions")
                #expect(request.header("authorization") == "Bearer sk-test")
                #expect(try JSONValue(parsing: request.body)["stream_options"] == ["include_usage": true])
            case .bedrock:
                #expect(request.path == "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream")
                #expect(request.header("authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true)
                #expect(request.header("x-amz-date") != nil)
            }
        }
    }

    @Test("429 with retry-after is a rate limit that says when to retry", arguments: HTTPProvider.allCases)
    func rateLimited(provider: HTTPProvider) async throws {
        let type = provider == .bedrock ? "ThrottlingException" : "rate_limit_error"
        let reply = provider.errorReply(status: 429, type: type, message: "slow down", headers: [("retry-after", "12")])
        try await withUpstream({ _ in reply }) { upstream, client in
            let error = await #expect(throws: ModelError.self) {
                try await provider.model(baseURL: upstream.baseURL, client: client).respond(to: .hello)
            }
            #expect(error?.kind == .rateLimited)
            #expect(error?.retryAfter == .seconds(12))
            #expect(error?.message == "slow down")
        }
    }

    @Test("server errors are typed", arguments: HTTPProvider.allCases, [500, 503, 529])
    func serverErrors(provider: HTTPProvider, status: Int) async throws {
        let type = status == 529 ? (provider == .bedrock ? "ServiceUnavailableException" : "overloaded_error") : (provider == .bedrock ? "InternalServerException" : "api_error")
        let reply = provider.errorReply(status: status, type: type, message: "upstream trouble")
        try await withUpstream({ _ in reply }) { upstream, client in
            let error = await #expect(throws: ModelError.self) {
                try await provider.model(baseURL: upstream.baseURL, client: client).stream(.hello).collect()
            }
            #expect(error?.status == status)
            #expect(error?.kind == (status == 529 ? .overloaded : .unavailable))
            #expect(error?.kind.isRetryable == true)
        }
    }

    @Test("no answer in time is a timeout", arguments: HTTPProvider.allCases)
    func timeout(provider: HTTPProvider) async throws {
        try await withUpstream({ _ in .hang }) { upstream, client in
            let error = await #expect(throws: ModelError.self) {
                try await provider.model(baseURL: upstream.baseURL, client: client, timeout: .milliseconds(300)).respond(to: .hello)
            }
            #expect(error?.kind == .timeout)
        }
    }

    @Test("a connection reset before the answer is a connection error", arguments: HTTPProvider.allCases)
    func resetBeforeAnswer(provider: HTTPProvider) async throws {
        try await withUpstream({ _ in .reset }) { upstream, client in
            let error = await #expect(throws: ModelError.self) {
                // A generous timeout: on a loaded machine (OCR tests beside it) the reset can take seconds to be seen,
                // and this test is about how a reset is classified, not how fast.
                try await provider.model(baseURL: upstream.baseURL, client: client, timeout: .seconds(60)).respond(to: .hello)
            }
            #expect(error?.kind == .connection)
        }
    }

    @Test("a stream cut mid-way is a connection error, not a short answer", arguments: HTTPProvider.allCases)
    func cutStream(provider: HTTPProvider) async throws {
        let full = try provider.streamReply()
        guard case .stream(let status, let headers, let chunks, _, _) = full else { Issue.record("not a stream"); return }
        let cut = FakeUpstream.Reply.stream(status: status, headers: headers, chunks: Array(chunks.prefix(chunks.count / 2)), interval: .zero, end: .cut)
        try await withUpstream({ _ in cut }) { upstream, client in
            let error = await #expect(throws: ModelError.self) {
                try await provider.model(baseURL: upstream.baseURL, client: client).stream(.hello).collect()
            }
            #expect(error?.kind == .connection)
        }
    }

    @Test("a body that is not JSON is a malformed response", arguments: HTTPProvider.allCases)
    func malformedJSON(provider: HTTPProvider) async throws {
        try await withUpstream({ _ in .json(status: 200, #"{"id": "x", "content": [tru"#) }) { upstream, client in
            let error = await #expect(throws: ModelError.self) {
                try await provider.model(baseURL: upstream.baseURL, client: client).respond(to: .hello)
            }
            #expect(error?.kind == .malformedResponse)
        }
    }

    @Test("cancelling a stream closes the upstream connection", arguments: HTTPProvider.allCases)
    func cancellationStopsTheUpstream(provider: HTTPProvider) async throws {
        let total = 400
        let reply = provider.longStreamReply(chunks: total, interval: .milliseconds(10))
        try await withUpstream({ _ in reply }) { upstream, client in
            let model = provider.model(baseURL: upstream.baseURL, client: client)
            let consumer = Task {
                var received = 0
                for try await event in model.stream(.hello) {
                    if case .textDelta = event { received += 1 }
                    if received == 3 { break }
                }
                return received
            }
            #expect(try await consumer.value == 3)
            var closed: FakeUpstream.ClosedConnection?
            for await connection in upstream.closedConnections {
                closed = connection
                break
            }
            let connection = try #require(closed)
            #expect(!connection.finishedStream)
            #expect(connection.chunksWritten < total)
        }
    }

    @Test func anthropicStreamsToolCalls() async throws {
        let reply = FakeUpstream.Reply.sse(String(decoding: try fixture("anthropic/stream-tool-use.sse"), as: UTF8.self), chunkSize: 17)
        try await withUpstream({ _ in reply }) { upstream, client in
            let response = try await HTTPProvider.anthropic.model(baseURL: upstream.baseURL, client: client).stream(.hello).collect()
            #expect(response.text == "Okay, let's check the weather for San Francisco, CA:")
            #expect(response.toolUses == [ToolUse(id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", input: ["location": "San Francisco, CA", "unit": "fahrenheit"])])
            #expect(response.stopReason == .toolUse)
            #expect(response.usage == Usage(inputTokens: 472, outputTokens: 89))
        }
    }

    @Test func anthropicErrorEventMidStreamIsTyped() async throws {
        let reply = FakeUpstream.Reply.sse(String(decoding: try fixture("anthropic/stream-error.sse"), as: UTF8.self))
        try await withUpstream({ _ in reply }) { upstream, client in
            let error = await #expect(throws: ModelError.self) {
                try await HTTPProvider.anthropic.model(baseURL: upstream.baseURL, client: client).stream(.hello).collect()
            }
            #expect(error?.kind == .overloaded)
        }
    }

    @Test func openAIStreamsToolCalls() async throws {
        let reply = FakeUpstream.Reply.sse(String(decoding: try fixture("openai/stream-tool-calls.sse"), as: UTF8.self), chunkSize: 23)
        try await withUpstream({ _ in reply }) { upstream, client in
            let response = try await HTTPProvider.openai.model(baseURL: upstream.baseURL, client: client).stream(.hello).collect()
            #expect(response.toolUses == [ToolUse(id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", input: ["location": "Paris, France"])])
            #expect(response.stopReason == .toolUse)
            #expect(response.usage == Usage(inputTokens: 60, outputTokens: 18))
        }
    }

    @Test func bedrockStreamsToolCalls() async throws {
        let data = try fixture("bedrock/stream-tool-use.eventstream")
        try await withUpstream({ _ in .stream(status: 200, headers: [], chunks: data.chunked(into: 13), interval: .zero, end: .complete) }) { upstream, client in
            let response = try await HTTPProvider.bedrock.model(baseURL: upstream.baseURL, client: client).stream(.hello).collect()
            #expect(response.text == "Let me look that up.")
            #expect(response.toolUses == [ToolUse(id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: "top_song", input: ["sign": "WZPZ"])])
            #expect(response.stopReason == .toolUse)
            #expect(response.usage == Usage(inputTokens: 375, outputTokens: 36))
        }
    }

    @Test func bedrockExceptionMidStreamIsTyped() async throws {
        let data = try fixture("bedrock/stream-throttled.eventstream")
        try await withUpstream({ _ in .stream(status: 200, headers: [], chunks: [data], interval: .zero, end: .complete) }) { upstream, client in
            let error = await #expect(throws: ModelError.self) {
                try await HTTPProvider.bedrock.model(baseURL: upstream.baseURL, client: client).stream(.hello).collect()
            }
            #expect(error?.kind == .rateLimited)
        }
    }

    @Test func bedrockCorruptFrameIsAMalformedResponse() async throws {
        var corrupted = try fixture("bedrock/stream-text.eventstream")
        corrupted[corrupted.count - 30] ^= 0xFF
        let data = corrupted
        try await withUpstream({ _ in .stream(status: 200, headers: [], chunks: [data], interval: .zero, end: .complete) }) { upstream, client in
            let error = await #expect(throws: ModelError.self) {
                try await HTTPProvider.bedrock.model(baseURL: upstream.baseURL, client: client).stream(.hello).collect()
            }
            #expect(error?.kind == .malformedResponse)
            #expect(error?.message.contains("checksum") == true)
        }
    }

    @Test func nonStreamingCallsParseTheProviderResponse() async throws {
        let body = String(decoding: try fixture("bedrock/response-text.json"), as: UTF8.self)
        try await withUpstream({ _ in .json(body) }) { upstream, client in
            let response = try await HTTPProvider.bedrock.model(baseURL: upstream.baseURL, client: client).respond(to: .hello)
            #expect(response.usage.outputTokens == 154)
            #expect(upstream.requests.first?.path.hasSuffix("/converse") == true)
            #expect(upstream.requests.first?.header("accept") == "application/json")
        }
    }
}

/// llama.cpp's server sends no usage while streaming: the prompt is counted as a whole answer counts it.
@Suite("Streamed llama.cpp usage")
struct LlamaCppStreamUsageTests {
    static let stream = FakeUpstream.Reply.sse(
        #"data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Red"},"finish_reason":null}]}"#
            + "\n\n"
            + #"data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
            + "\n\ndata: [DONE]\n\n")

    static func usage(probe: FakeUpstream.Reply) async throws -> (Usage, [FakeUpstream.Request]) {
        try await withUpstream({ request in
            String(decoding: request.body, as: UTF8.self).contains(#""stream":true"#) ? stream : probe
        }) { upstream, client in
            let model = OpenAICompatibleModel(configuration: .init(baseURL: upstream.baseURL + "/v1", modelID: "m", flavor: .llamaCpp), httpClient: client)
            let response = try await model.stream(ModelRequest(model: "m", messages: [.user(String(repeating: "colour ", count: 30))])).collect()
            return (response.usage, upstream.requests)
        }
    }

    @Test("the prompt's tokens come from the same request asked whole for one token, without a grammar")
    func probed() async throws {
        let whole = #"{"id":"c2","object":"chat.completion","model":"m","choices":[],"usage":{"prompt_tokens":42,"completion_tokens":1,"total_tokens":43}}"#
        let (usage, requests) = try await Self.usage(probe: .json(whole))
        #expect(usage.inputTokens == 42 && usage.outputTokens == 1)
        let probe = try JSONValue(parsing: try #require(requests.last).body)
        #expect(probe["stream"] != true && probe["max_tokens"] == 1 && probe["response_format"] == nil, "\(probe)")
    }

    @Test("when the count fails, an estimate that errs high stands in, never zero")
    func estimated() async throws {
        let (usage, _) = try await Self.usage(probe: .json(status: 500, #"{"error":{"message":"boom"}}"#))
        #expect(usage.inputTokens >= 210 / 4, "30 × 7 bytes of prompt: \(usage)")
    }
}
