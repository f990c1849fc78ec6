import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
@testable import CentaurServer
import CentaurStore
import CentaurTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing

/// The server in-process, routed to fake upstreams on 127.0.0.1 speaking the Anthropic and OpenAI formats.
struct ServerTests {
    static let anthropicMessage = #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hi from Claude"}],"#
        + #""stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":4}}"#
    static let anthropicStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":12,"output_tokens":1}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi "}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"there"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    /// A fake Anthropic upstream: "/primary" paths answer with `fault`, others succeed.
    static func upstream(fault: FakeUpstream.Reply? = nil) async throws -> FakeUpstream {
        try await FakeUpstream.start { request in
            if request.path.hasPrefix("/primary"), let fault { return fault }
            let stream = (try? JSONValue(parsing: request.body))?["stream"] == true
            return stream ? .sse(anthropicStream) : .json(anthropicMessage)
        }
    }

    /// The primary's timeout is short only where a test needs it to expire (a hanging upstream): elsewhere
    /// a slow, busy test machine must not turn a healthy answer into a retry.
    static func configuration(upstream: FakeUpstream, primaryTimeout: Double = 10) throws -> CentaurConfiguration {
        let yaml = """
            providers:
              primary: { kind: anthropic, api_key: k, base_url: \(upstream.baseURL)/primary, timeout: \(primaryTimeout) }
              backup: { kind: anthropic, api_key: k, base_url: \(upstream.baseURL)/backup }
              textonly: { kind: openai, api_key: k, base_url: \(upstream.baseURL)/v1, flavor: compatible }
            models:
              text-only: { provider: textonly, id: small }
              claude-primary: { provider: primary, id: claude-sonnet-4-5, price: { input: 3, output: 15 } }
              claude-backup: { provider: backup, id: claude-sonnet-4-5, price: { input: 3, output: 15 } }
            routes:
              claude: { targets: [claude-primary, claude-backup] }
            routing: { attempts_per_target: 2, base_backoff_ms: 1, breaker_threshold: 100 }
            default_model: claude-backup
            """
        return try ConfigurationLoader(environment: [:]).parse(yaml, source: "test.yaml")
    }

    struct Harness {
        let components: CentaurServerComponents
        let admin: String
        let user: String
    }

    /// Builds the server with a fresh store, creates an admin and a gateway key, and runs `body` against it.
    static func withServer(
        fault: FakeUpstream.Reply? = nil, settings: ServerSettings = ServerSettings(port: 0),
        _ body: @escaping @Sendable (any TestClientProtocol, Harness) async throws -> Void
    ) async throws {
        let upstream = try await upstream(fault: fault)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(2), read: .seconds(10))))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-server-\(UUID().uuidString)").path
        var hangs = false
        if case .hang = fault { hangs = true }
        do {
            var configuration = try configuration(upstream: upstream, primaryTimeout: hangs ? 0.5 : 10)
            configuration.capture = .full
            let components = try await CentaurServerComponents(configuration: configuration, settings: settings, dataDirectory: directory, httpClient: client, logger: .init(label: "test"))
            let admin = try await components.keys.create(name: "admin", team: "ops", scope: .admin).secret
            let user = try await components.keys.create(name: "app", team: "drivers", scope: .gateway).secret
            let app = Application(router: components.makeRouter())
            let writer = Task { try await components.writer.run() }
            defer { writer.cancel() }
            try await app.test(.router) { client in
                try await body(client, Harness(components: components, admin: admin, user: user))
            }
        } catch {
            try? await client.shutdown()
            try? await upstream.shutdown()
            throw error
        }
        try await client.shutdown()
        try await upstream.shutdown()
    }

    static func json(_ response: TestResponse) throws -> JSONValue {
        try JSONValue(parsing: Data(buffer: response.body ?? ByteBuffer()))
    }

    static func post(_ client: any TestClientProtocol, _ path: String, key: String?, _ body: String, anthropicHeader: Bool = false) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[anthropicHeader ? HTTPField.Name("x-api-key")! : .authorization] = anthropicHeader ? key : "Bearer \(key)" }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func openAIRequestsAreAnsweredByAnAnthropicUpstream() async throws {
        try await Self.withServer { client, harness in
            let response = try await Self.post(client, "/v1/chat/completions", key: harness.user,
                #"{"model":"claude","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_tokens":50}"#)
            #expect(response.status == .ok)
            let json = try Self.json(response)
            #expect(json["object"] == "chat.completion")
            #expect(json["choices"]?[0]?["message"]?["content"] == "Hi from Claude")
            #expect(json["choices"]?[0]?["finish_reason"] == "stop")
            #expect(json["usage"]?["prompt_tokens"] == 12)
            #expect(json["usage"]?["completion_tokens"] == 4)
        }
    }

    @Test func anthropicStreamingIsReEncodedAsOpenAIChunks() async throws {
        try await Self.withServer { client, harness in
            let response = try await Self.post(client, "/v1/chat/completions", key: harness.user,
                #"{"model":"claude","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let text = String(buffer: response.body ?? ByteBuffer())
            let chunks = text.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
            #expect(chunks.last == "[DONE]")
            let objects = try chunks.dropLast().map { try JSONValue(parsing: $0) }
            #expect(objects.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined() == "Hi there")
            #expect(objects.contains { $0["choices"]?[0]?["finish_reason"] == "stop" })
            #expect(objects.last?["usage"]?["completion_tokens"] == 5)
            #expect(objects.last?["choices"] == [])
        }
    }

    @Test func anthropicClientsGetTheirOwnShapes() async throws {
        try await Self.withServer { client, harness in
            let response = try await Self.post(client, "/v1/messages", key: harness.user, #"{"model":"claude","max_tokens":20,"messages":[{"role":"user","content":"Hi"}]}"#, anthropicHeader: true)
            let json = try Self.json(response)
            #expect(json["type"] == "message")
            #expect(json["content"]?[0]?["text"] == "Hi from Claude")
            #expect(json["usage"]?["input_tokens"] == 12)
            let missing = try await Self.post(client, "/v1/messages", key: harness.user, #"{"model":"claude","messages":[]}"#, anthropicHeader: true)
            #expect(missing.status == .badRequest)
            #expect(try Self.json(missing)["error"]?["type"] == "invalid_request_error")
            #expect(try Self.json(missing)["error"]?["message"]?.stringValue?.contains("$.max_tokens") == true)
        }
    }

    @Test func keysAreRequiredCheckedAndScoped() async throws {
        try await Self.withServer { client, harness in
            let none = try await Self.post(client, "/v1/chat/completions", key: nil, #"{"model":"claude","messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(none.status == .unauthorized)
            let wrong = try await Self.post(client, "/v1/messages", key: "ctr_wrong", #"{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}"#, anthropicHeader: true)
            #expect(wrong.status == .unauthorized)
            #expect(try Self.json(wrong)["error"]?["type"] == "authentication_error")
            let notAdmin = try await client.execute(uri: "/api/traces", method: .get, headers: [.authorization: "Bearer \(harness.user)"])
            #expect(notAdmin.status == .forbidden)
            let admin = try await client.execute(uri: "/api/traces", method: .get, headers: [.authorization: "Bearer \(harness.admin)"])
            #expect(admin.status == .ok)
            // The scheme in any case, spaces around the token; another scheme is no key at all.
            for value in ["bearer \(harness.admin)", "BEARER   \(harness.admin)  "] {
                #expect(try await client.execute(uri: "/api/traces", method: .get, headers: [.authorization: value]).status == .ok, "\(value)")
            }
            for value in ["Basic \(harness.admin)", "Bearer", "Bearer    ", "Bearerx \(harness.admin)"] {
                #expect(try await client.execute(uri: "/api/traces", method: .get, headers: [.authorization: value]).status == .unauthorized, "\(value)")
            }
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok && String(buffer: ready.body).contains("\"ready\""), "SQLite answers with this build's schema")
        }
    }

    @Test("/readyz is 503 with the reason when the database check fails; /healthz stays 200")
    func readinessFailure() async throws {
        let router = Hummingbird.Router(context: CentaurRequestContext.self)
        let writer = TraceWriter(store: InMemoryStore())
        AdminEndpoints(store: InMemoryStore(), writer: writer, readiness: { throw StoreError("PostgreSQL (schema public) does not answer") })
            .register(open: router, admin: router.group())
        try await Application(router: router).test(.router) { client in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(String(buffer: ready.body).contains("not_ready") && String(buffer: ready.body).contains("does not answer"))
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func badInputGetsAClearErrorInTheAPIsShape() async throws {
        try await Self.withServer(settings: ServerSettings(port: 0, maxBodyBytes: 1024)) { client, harness in
            let malformed = try await Self.post(client, "/v1/chat/completions", key: harness.user, #"{"model": "claude", "messages": [ "#)
            #expect(malformed.status == .badRequest)
            #expect(try Self.json(malformed)["error"]?["message"]?.stringValue?.hasPrefix("the request body is not valid JSON") == true)
            let big = try await Self.post(client, "/v1/chat/completions", key: harness.user,
                #"{"model":"claude","messages":[{"role":"user","content":""# + String(repeating: "x", count: 2000) + #""}]}"#)
            #expect(big.status == .contentTooLarge)
            let unknown = try await Self.post(client, "/v1/chat/completions", key: harness.user, #"{"model":"gpt-7","messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(unknown.status == .notFound)
            #expect(try Self.json(unknown)["error"]?["code"] == "model_not_found")
            let badRole = try await Self.post(client, "/v1/chat/completions", key: harness.user, #"{"model":"claude","messages":[{"role":"robot","content":"Hi"}]}"#)
            #expect(try Self.json(badRole)["error"]?["param"] == "$.messages[0].role")
        }
    }

    @Test("chat completions refuse what /v1/messages refuses, naming the place: limits, ranges, schemas, bytes, duplicate keys, images for a text-only model")
    func strictRequests() async throws {
        try await Self.withServer { client, harness in
            func refusal(_ body: String) async throws -> (HTTPResponse.Status, String, String) {
                let response = try await Self.post(client, "/v1/chat/completions", key: harness.user, body)
                let error = try Self.json(response)["error"]
                return (response.status, error?["param"]?.stringValue ?? "", error?["message"]?.stringValue ?? "")
            }
            let hi = #""messages":[{"role":"user","content":"Hi"}]"#
            let cases: [(String, String, String)] = [
                (#"{"model":"claude",\#(hi),"max_tokens":-5}"#, "$.max_tokens", "at least 1"),
                (#"{"model":"claude",\#(hi),"max_completion_tokens":0}"#, "$.max_completion_tokens", "at least 1"),
                (#"{"model":"claude",\#(hi),"temperature":7}"#, "$.temperature", "between 0 and 2"),
                (#"{"model":"claude",\#(hi),"top_p":-1}"#, "$.top_p", "between 0 and 1"),
                (#"{"model":"claude",\#(hi),"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"strin"}}}}"#,
                 "$.response_format.json_schema.schema", "not a valid JSON Schema"),
                (#"{"model":"claude",\#(hi),"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":7}}}}]}"#,
                 "$.tools[0].function.parameters", "properties.x"),
            ]
            for (body, param, message) in cases {
                let (status, gotParam, gotMessage) = try await refusal(body)
                #expect(status == .badRequest, "\(body)")
                #expect(gotParam == param && gotMessage.contains(message), "\(gotParam): \(gotMessage)")
            }
            let (duplicate, _, duplicateMessage) = try await refusal(#"{"model":"claude",\#(hi),"model":"text-only"}"#)
            #expect(duplicate == .badRequest && duplicateMessage.contains(#"duplicate key "model""#))
            let (huge, _, hugeMessage) = try await refusal(#"{"model":"claude",\#(hi),"temperature":1e999}"#)
            #expect(huge == .badRequest && hugeMessage.contains("too large"))
            var bytes = Array(#"{"model":"claude","messages":[{"role":"user","content":"caf"#.utf8)
            bytes += [0xC3, 0x28] + Array(#""}]}"#.utf8)
            let invalid = try await client.execute(uri: "/v1/chat/completions", method: .post,
                                                   headers: [.contentType: "application/json", .authorization: "Bearer \(harness.user)"], body: ByteBuffer(bytes: bytes))
            let invalidMessage = try Self.json(invalid)["error"]?["message"]?.stringValue ?? ""
            #expect(invalid.status == .badRequest && invalidMessage.contains("not valid UTF-8"))

            let image = #"{"model":"text-only","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},"#
                + #"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}"#
            let (imageStatus, _, imageMessage) = try await refusal(image)
            #expect(imageStatus == .badRequest && imageMessage.contains("does not read images"), "\(imageMessage)")
            let toClaude = try await Self.post(client, "/v1/chat/completions", key: harness.user, image.replacingOccurrences(of: "text-only", with: "claude"))
            #expect(toClaude.status == .ok, "a model that reads images gets it")
            let missingTrace = try await client.execute(uri: "/api/traces/nope", method: .get, headers: [.authorization: "Bearer \(harness.admin)"])
            let missingCode = try Self.json(missingTrace)["error"]?["code"]
            #expect(missingTrace.status == .notFound && missingCode == "not_found")
        }
    }

    @Test("each primary fault is survived through the fallback, and the trace shows every attempt", arguments: [
        ("429", FakeUpstream.Reply.json(status: 429, #"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#, headers: [("retry-after", "0")]), "rate_limited"),
        ("529", .json(status: 529, #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#), "overloaded"),
        ("500", .json(status: 500, #"{"type":"error","error":{"type":"api_error","message":"boom"}}"#), "unavailable"),
        ("timeout", .hang, "timeout"),
        ("cut stream", .stream(status: 200, headers: [("content-type", "text/event-stream")], chunks: [
            Data("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n".utf8)],
                interval: .zero, end: .cut), "connection"),
    ])
    func faultsFallBack(name: String, fault: FakeUpstream.Reply, errorClass: String) async throws {
        let settings = ServerSettings(port: 0)
        try await Self.withServer(fault: fault, settings: settings) { client, harness in
            let response = try await Self.post(client, "/v1/chat/completions", key: harness.user, #"{"model":"claude","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(response.status == .ok, "\(name)")
            #expect(String(buffer: response.body ?? ByteBuffer()).contains("Hi "))
            await harness.components.writer.flush()
            let traces = try await harness.components.stores.traces.traces(TraceQuery())
            let attempts = traces.traces.sorted { $0.attempt < $1.attempt }
            #expect(attempts.map(\.model) == ["claude-primary", "claude-primary", "claude-backup"], "\(name)")
            #expect(attempts.map(\.status) == [.error, .error, .ok])
            #expect(attempts.first?.errorClass == errorClass)
            #expect(Set(attempts.map(\.requestID)).count == 1)
            #expect(attempts.last?.costUSD ?? 0 > 0)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body ?? ByteBuffer())
            #expect(metrics.contains(#"centaur_upstream_errors_total{model="claude-primary",error_class="\#(errorClass)"} 2"#), "\(metrics)")
        }
    }

    @Test func tracesRecordCallerTokensCostTagsAndBodies() async throws {
        try await Self.withServer { client, harness in
            var headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(harness.user)"]
            headers[HTTPField.Name("x-centaur-tag-feature")!] = "onboarding"
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: headers,
                body: ByteBuffer(string: #"{"model":"claude","messages":[{"role":"user","content":"Hello there"}]}"#))
            await harness.components.writer.flush()
            let page = try await client.execute(uri: "/api/traces?tag=feature:onboarding", method: .get, headers: [.authorization: "Bearer \(harness.admin)"])
            let traces = try Self.json(page)["traces"]?.arrayValue ?? []
            #expect(traces.count == 1)
            let trace = try #require(traces.first)
            #expect(trace["team"] == "drivers")
            #expect(trace["surface"] == "openai")
            #expect(trace["input_tokens"] == 12)
            #expect(trace["output_tokens"] == 4)
            #expect(abs((trace["cost_usd"]?.doubleValue ?? 0) - (12 * 3 + 4 * 15) / 1_000_000.0) < 1e-12)
            #expect(trace["request_body"]?.stringValue?.contains("Hello there") == true)
            // Captured bodies are stored with personal data replaced by its type: "Claude" reads as a first name.
            #expect(trace["response_body"] == "Hi from <PERSON>")
            let id = try #require(trace["id"]?.stringValue)
            let one = try await client.execute(uri: "/api/traces/\(id)", method: .get, headers: [.authorization: "Bearer \(harness.admin)"])
            #expect(try Self.json(one)["id"]?.stringValue == id)
            let usage = try await client.execute(uri: "/api/usage", method: .get, headers: [.authorization: "Bearer \(harness.admin)"])
            #expect(try Self.json(usage)["usage"]?[0]?["requests"] == 1)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body ?? ByteBuffer())
            #expect(metrics.contains(#"centaur_requests_total{route="claude",surface="openai",status="ok"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"centaur_tokens_total{model="claude-primary",kind="input"} 12"#))
            #expect(metrics.contains("centaur_cost_usd_total"))
            #expect(metrics.contains("centaur_request_duration_seconds_bucket"))
            #expect(metrics.contains("centaur_trace_queue_depth 0"))
            #expect(metrics.contains("centaur_traces_dropped 0"))
            let bad = try await client.execute(uri: "/api/traces?limit=zero", method: .get, headers: [.authorization: "Bearer \(harness.admin)"])
            #expect(bad.status == .badRequest)
        }
    }
}
