import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurServer
import CentaurStore
import CentaurTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("POST /v1/embeddings")
struct EmbeddingsAPITests {
    static let home = Repository.root.appendingPathComponent(".centaur")
    static var nativeWanted: Bool {
        FileManager.default.fileExists(atPath: home.appendingPathComponent("models/all-minilm-l6-v2/model.safetensors").path)
            || ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_EMBEDDINGS"] == "1"
    }

    /// A server with an OpenAI-compatible upstream for `hosted` (priced, no personal data allowed) and the native model.
    static func withServer(upstream: String, extra: String = "", models: String = "",
                           _ body: @escaping @Sendable (any TestClientProtocol, CentaurServerComponents) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-embeddings-\(UUID().uuidString)")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let configuration = try ConfigurationLoader(environment: [:]).parse("""
            providers:
              up: { kind: openai, api_key: k, base_url: "\(upstream)/v1", flavor: openai }
            models:
              chat: { provider: up, id: gpt-x }
              \(models)
            embeddings:
              hosted: { provider: up, id: text-embedding-3-small, price: { input: 0.02 } }
            \(extra)
            """, source: "test.yaml")
        do {
            let components = try await CentaurServerComponents(configuration: configuration, settings: ServerSettings(port: 0),
                                                               dataDirectory: directory.path, httpClient: client,
                                                               environment: ["CENTAUR_HOME": home.path], logger: .init(label: "test"))
            try await Application(router: components.makeRouter()).test(.router) { http in try await body(http, components) }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func post(_ http: any TestClientProtocol, _ body: String, key: String? = nil) async throws -> (HTTPResponse.Status, JSONValue) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        let response = try await http.execute(uri: "/v1/embeddings", method: .post, headers: headers, body: ByteBuffer(string: body))
        return (response.status, try JSONValue(parsing: Data(buffer: response.body)))
    }

    /// An upstream answering every input with [index, 0.5, -0.25] and 7 tokens an input.
    static func upstream() async throws -> FakeUpstream {
        try await FakeUpstream.start { request in
            let inputs = (try? JSONValue(parsing: request.body))?["input"]?.arrayValue ?? []
            let data = inputs.indices.map { #"{"object":"embedding","index":\#($0),"embedding":[\#($0).0,0.5,-0.25]}"# }.joined(separator: ",")
            return .json(#"{"object":"list","data":[\#(data)],"model":"text-embedding-3-small","usage":{"prompt_tokens":\#(7 * inputs.count),"total_tokens":\#(7 * inputs.count)}}"#)
        }
    }

    @Test("an upstream model: vectors in input order, usage and cost traced; personal data redacted before it leaves; base64 as OpenAI sends it")
    func upstreamModel() async throws {
        let upstream = try await Self.upstream()
        defer { Task { try? await upstream.shutdown() } }
        try await Self.withServer(upstream: upstream.baseURL) { http, components in
            let writer = Task { try await components.writer.run() }
            defer { writer.cancel() }
            let (secret, record) = try await components.keys.create(name: "app", team: "search", scope: .gateway)
            let (status, body) = try await Self.post(http, #"{"model": "hosted", "input": ["first", "write to jane.doe@example.com"], "user": "u-1"}"#, key: secret)
            #expect(status == .ok, "\(body)")
            #expect(body["object"] == "list" && body["model"] == "hosted" && body["usage"]?["prompt_tokens"] == 14)
            #expect(body["data"]?[1]?["index"] == 1 && body["data"]?[1]?["embedding"]?[0] == 1 && body["data"]?[1]?["object"] == "embedding")
            let sent = try #require(upstream.requests.last)
            #expect(sent.path == "/v1/embeddings" && sent.header("authorization") == "Bearer k")
            #expect(!sent.bodyText.contains("jane.doe") && sent.bodyText.contains("EMAIL_ADDRESS"), "\(sent.bodyText)")
            let (_, encoded) = try await Self.post(http, #"{"model": "hosted", "input": "one", "encoding_format": "base64"}"#, key: secret)
            let bytes = try #require(Data(base64Encoded: encoded["data"]?[0]?["embedding"]?.stringValue ?? ""))
            let floats = (0..<bytes.count / 4).map { i in Float(bitPattern: bytes[(i * 4)..<(i * 4 + 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian) }
            #expect(floats == [0, 0.5, -0.25])
            await components.writer.flush()
            let traces = try await components.stores.traces.traces(TraceQuery(limit: 10)).traces.filter { $0.surface == "embeddings" }
            let first = try #require(traces.first { $0.inputTokens == 14 })
            #expect(first.keyID == record.id && first.model == "hosted" && first.provider == "up" && first.tags["user"] == "u-1")
            #expect(first.tags["pii_redacted"] == "EMAIL_ADDRESS:1" && abs((first.costUSD ?? 0) - 14 * 0.02 / 1_000_000) < 1e-12, "\(first.tags)")
        }
    }

    @Test("bad requests get an OpenAI-shaped 400 naming the field; an unknown model is a 404; a chat model is not an embedding model; an upstream fault is a 502/503")
    func errors() async throws {
        let failing = try await FakeUpstream.start { _ in .json(status: 500, #"{"error":{"message":"boom","type":"server_error"}}"#) }
        defer { Task { try? await failing.shutdown() } }
        try await Self.withServer(upstream: failing.baseURL) { http, components in
            let key = try await components.keys.create(name: "app", team: nil, scope: .gateway).secret
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"input": "x"}"#, .badRequest, "model"),
                (#"{"model": "hosted"}"#, .badRequest, "input"),
                (#"{"model": "hosted", "input": []}"#, .badRequest, "input"),
                (#"{"model": "hosted", "input": [1, 2, 3]}"#, .badRequest, "token ids"),
                (#"{"model": "hosted", "input": ""}"#, .badRequest, "empty"),
                (#"{"model": "hosted", "input": "x", "encoding_format": "hex"}"#, .badRequest, "encoding_format"),
                (#"{"model": "hosted", "input": "x", "dimensions": 0}"#, .badRequest, "dimensions"),
                (#"{"model": "nope", "input": "x"}"#, .notFound, "unknown embedding model 'nope'"),
                (#"{"model": "chat", "input": "x"}"#, .badRequest, "is a chat model"),
                (#"{"model": "hosted", "input": "x"#, .badRequest, "JSON"),
            ]
            for (body, status, mention) in cases {
                let (got, error) = try await Self.post(http, body, key: key)
                let message = error["error"]?["message"]?.stringValue ?? ""
                #expect(got == status && (message.contains(mention) || error["error"]?["param"]?.stringValue == mention), "\(body): \(got) \(error)")
            }
            let (status, error) = try await Self.post(http, #"{"model": "hosted", "input": "x"}"#, key: key)
            #expect([.badGateway, .serviceUnavailable].contains(status) && error["error"]?["message"]?.stringValue?.contains("boom") == true, "\(status) \(error)")
            #expect(failing.requests.count == 2, "a 500 is tried twice (routing.attempts_per_target)")
        }
    }

    @Test("a key over its monthly budget is refused before the upstream is called")
    func budget() async throws {
        let upstream = try await Self.upstream()
        defer { Task { try? await upstream.shutdown() } }
        try await Self.withServer(upstream: upstream.baseURL) { http, components in
            let (secret, _) = try await components.keys.create(name: "tiny", team: nil, scope: .gateway, limits: Limits(monthlyUSD: 0.000_000_1))
            let (status, body) = try await Self.post(http, #"{"model": "hosted", "input": "\#(String(repeating: "long text ", count: 200))"}"#, key: secret)
            #expect(status == .tooManyRequests, "\(body)")
            #expect(upstream.requests.isEmpty)
        }
    }

    @Test("the semantic cache in the server: a paraphrase to an opted-in model is answered from the cache, traced with its similarity",
          .enabled(if: nativeWanted, "run scripts/setup-embeddings"))
    func semanticCache() async throws {
        let upstream = try await FakeUpstream.start { _ in
            .json(#"{"id":"c1","object":"chat.completion","model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"Paris."},"#
                + #""finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#)
        }
        defer { Task { try? await upstream.shutdown() } }
        try await Self.withServer(upstream: upstream.baseURL, extra: "cache: { semantic: { routes: [chat], threshold: 0.8 } }") { http, components in
            let writer = Task { try await components.writer.run() }
            defer { writer.cancel() }
            let key = try await components.keys.create(name: "app", team: nil, scope: .gateway).secret
            func ask(_ question: String) async throws -> (String?, JSONValue) {
                let response = try await http.execute(uri: "/v1/chat/completions", method: .post,
                                                      headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                                                      body: ByteBuffer(string: #"{"model":"chat","messages":[{"role":"user","content":"\#(question)"}]}"#))
                return (response.headers[HTTPField.Name("x-centaur-cache")!], try JSONValue(parsing: Data(buffer: response.body)))
            }
            let (first, _) = try await ask("What is the capital of France?")
            let (second, body) = try await ask("Which city is the capital of France?")
            #expect(first == "miss" && second == "hit" && upstream.requests.count == 1, "\(String(describing: first)) \(String(describing: second))")
            #expect(body["choices"]?[0]?["message"]?["content"] == "Paris.")
            _ = try await ask("What is the capital of Spain? Answer in 12 words.")
            #expect(upstream.requests.count == 2, "other literals: not served from the cache")
            await components.writer.flush()
            let traces = try await components.stores.traces.traces(TraceQuery(limit: 10)).traces
            let hit = try #require(traces.first { $0.tags["cache_kind"] == "semantic" })
            #expect(Double(hit.tags["cache_similarity"] ?? "") ?? 0 >= 0.8 && hit.tags["cache_origin_request_id"] != nil, "\(hit.tags)")
        }
    }

    @Test("the native all-MiniLM-L6-v2: 384 unit-length dimensions, similar texts closer, listed in /v1/models", .enabled(if: nativeWanted, "run scripts/setup-embeddings"))
    func native() async throws {
        try await Self.withServer(upstream: "http://127.0.0.1:9") { http, components in
            let key = try await components.keys.create(name: "app", team: nil, scope: .gateway).secret
            let input = #"["A man is eating food.", "A man is eating a piece of bread.", "The stock market fell."]"#
            let (status, body) = try await Self.post(http, #"{"model": "all-minilm-l6-v2", "input": \#(input)}"#, key: key)
            #expect(status == .ok, "\(body)")
            let vectors = (body["data"]?.arrayValue ?? []).map { ($0["embedding"]?.arrayValue ?? []).compactMap(\.doubleValue) }
            try #require(vectors.count == 3 && vectors.allSatisfy { $0.count == 384 })
            func cosine(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
            #expect(abs(cosine(vectors[0], vectors[0]) - 1) < 1e-4 && abs(cosine(vectors[0], vectors[1]) - 0.7553) < 0.002)
            #expect(cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]))
            #expect((body["usage"]?["prompt_tokens"]?.intValue ?? 0) >= 20, "tokens counted by the tokenizer: \(body["usage"] ?? .null)")
            let (_, short) = try await Self.post(http, #"{"model": "all-minilm-l6-v2", "input": "x y z", "dimensions": 64}"#, key: key)
            #expect(short["data"]?[0]?["embedding"]?.arrayValue?.count == 64)
            let models = try await http.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(String(buffer: models.body).contains("all-minilm-l6-v2"))
        }
    }
}

@Suite("embeddings: in centaur.yaml")
struct EmbeddingConfigurationTests {
    static let base = """
        providers:
          up: { kind: openai, api_key: k, base_url: "http://127.0.0.1:9/v1" }
          llama: { kind: local }
        models:
          chat: { provider: up, id: gpt-x }

        """

    @Test("entries read with price, dimensions and pii; the native MiniLM is always there; mistakes name their key")
    func parse() throws {
        let configuration = try ConfigurationLoader(environment: [:]).parse(Self.base + """
            embeddings:
              small: { provider: up, id: text-embedding-3-small, price: { input: 0.02 }, dimensions: 512, pii: [PERSON] }
            """, source: "t.yaml")
        let small = try #require(configuration.embeddingModel(named: "small"))
        #expect(small.inputPrice == 0.02 && small.dimensions == 512 && small.pii == .only(["PERSON"]) && small.id == "text-embedding-3-small")
        #expect(configuration.allEmbeddingModels.map(\.name) == ["small", "all-minilm-l6-v2"])
        #expect(configuration.embeddingModel(named: "all-minilm-l6-v2")?.isNative == true)
        let mistakes: [(String, String)] = [
            ("embeddings:\n  e: { provider: nowhere, id: x }", "no provider named 'nowhere'"),
            ("embeddings:\n  e: { provider: llama, id: x }", "serves no embeddings"),
            ("embeddings:\n  e: { provider: native, id: bge-small }", "runs all-minilm-l6-v2 only"),
            ("embeddings:\n  chat: { provider: up, id: x }", "name of a chat model"),
            ("embeddings:\n  e: { provider: up }", "missing 'id'"),
            ("embeddings:\n  e: { provider: up, id: x, dimensions: 0 }", "at least 1"),
            ("embeddings:\n  e: { provider: up, id: x, price: { output: 1 } }", "unknown key"),
        ]
        for (text, mention) in mistakes {
            #expect(throws: ConfigurationError.self, "\(text)") { try ConfigurationLoader(environment: [:]).parse(Self.base + text, source: "t.yaml") }
            do { _ = try ConfigurationLoader(environment: [:]).parse(Self.base + text, source: "t.yaml") } catch {
                #expect("\(error)".contains(mention), "\(error)")
            }
        }
    }
}
