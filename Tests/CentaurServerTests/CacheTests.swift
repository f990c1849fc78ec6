import CentaurConfiguration
import AsyncHTTPClient
import CentaurCore
import CentaurGateway
import CentaurServer
import CentaurStore
import CentaurTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// The exact response cache through the server: hits, tenants, request options, traces.
@Suite("Response cache")
struct CacheTests {
    static let answer = #"{"id":"r1","object":"chat.completion","model":"gpt-fake","choices":[{"index":0,"message":{"role":"assistant","content":"Four."},"#
        + #""finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}"#

    static func withServer(_ body: @escaping @Sendable (any TestClientProtocol, CentaurServerComponents, [String], NIOLockedValueBox<Int>) async throws -> Void) async throws {
        let calls = NIOLockedValueBox(0)
        let upstream = try await FakeUpstream.start { _ in
            calls.withLockedValue { $0 += 1 }
            return .json(Self.answer)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let yaml = """
            providers:
              fake: { kind: openai, api_key: k, base_url: "\(upstream.baseURL)/v1", flavor: compatible, pii: all }
            models:
              gpt-fake: { provider: fake, id: gpt-fake, price: { input: 3, output: 15 } }
            default_model: gpt-fake
            """
        let configuration = try ConfigurationLoader(environment: [:]).parse(yaml, source: "test.yaml")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-cache-\(UUID().uuidString)").path
        do {
            let components = try await CentaurServerComponents(configuration: configuration, settings: ServerSettings(port: 0),
                                                         dataDirectory: directory, httpClient: client, logger: .init(label: "test"))
            let keys = [
                try await components.keys.create(name: "a", team: "drivers", scope: .admin).secret,
                try await components.keys.create(name: "b", team: "mortgages", scope: .gateway).secret,
            ]
            let writer = Task { try await components.writer.run() }
            defer { writer.cancel() }
            try await Application(router: components.makeRouter()).test(.router) { http in
                try await body(http, components, keys, calls)
            }
        } catch {
            try? await client.shutdown()
            try? await upstream.shutdown()
            throw error
        }
        try await client.shutdown()
        try await upstream.shutdown()
    }

    static func ask(_ http: any TestClientProtocol, key: String, temperature: Double? = 0, control: String? = nil, stream: Bool = false) async throws -> TestResponse {
        var fields: [String: JSONValue] = ["model": "gpt-fake", "messages": [["role": "user", "content": "What is 2 + 2?"]]]
        if let temperature { fields["temperature"] = .number(temperature) }
        if stream { fields["stream"] = true }
        var headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
        if let control { headers[HTTPField.Name("x-centaur-cache-control")!] = control }
        return try await http.execute(uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: JSONValue.object(fields).jsonString()))
    }

    static func cacheHeader(_ response: TestResponse) -> String? { response.headers[HTTPField.Name("x-centaur-cache")!] }

    @Test("a repeated deterministic request is a hit with a byte-identical body, recorded in traces with the cost saved")
    func hit() async throws {
        try await Self.withServer { http, components, keys, calls in
            let first = try await Self.ask(http, key: keys[0])
            #expect(Self.cacheHeader(first) == "miss")
            let second = try await Self.ask(http, key: keys[0])
            #expect(Self.cacheHeader(second) == "hit")
            #expect(second.body == first.body, "a hit must return the same bytes")
            #expect(calls.withLockedValue { $0 } == 1)
            // Streaming a cached answer replays it.
            let streamed = try await Self.ask(http, key: keys[0], stream: true)
            #expect(Self.cacheHeader(streamed) == "hit")
            #expect(String(buffer: streamed.body).contains("Four."))
            #expect(calls.withLockedValue { $0 } == 1)

            await components.writer.flush()
            let traces = try await components.stores.traces.traces(.init(limit: 10)).traces
            let hits = traces.filter { $0.tags["cache"] == "hit" }
            #expect(hits.count == 2)
            #expect(hits.allSatisfy { $0.provider == "cache" && $0.costUSD == nil })
            let saved = try #require(hits.first?.tags["cache_cost_saved_usd"].flatMap(Double.init))
            #expect(abs(saved - (10 * 3 + 2 * 15) / 1_000_000.0) < 1e-12)
        }
    }

    @Test("no hit ever crosses tenants")
    func tenants() async throws {
        try await Self.withServer { http, _, keys, calls in
            _ = try await Self.ask(http, key: keys[0])
            let other = try await Self.ask(http, key: keys[1])
            #expect(Self.cacheHeader(other) == "miss")
            #expect(calls.withLockedValue { $0 } == 2)
            #expect(Self.cacheHeader(try await Self.ask(http, key: keys[1])) == "hit")
            #expect(Self.cacheHeader(try await Self.ask(http, key: keys[0])) == "hit")
            #expect(calls.withLockedValue { $0 } == 2)
        }
    }

    @Test("no-cache skips the cache, only-if-cached never calls the model, sampling is cached only when forced")
    func options() async throws {
        try await Self.withServer { http, _, keys, calls in
            let missing = try await Self.ask(http, key: keys[0], control: "only-if-cached")
            #expect(missing.status == .badGateway)
            #expect(String(buffer: missing.body).contains("only-if-cached"))
            #expect(calls.withLockedValue { $0 } == 0)

            _ = try await Self.ask(http, key: keys[0])
            let fresh = try await Self.ask(http, key: keys[0], control: "no-cache")
            #expect(Self.cacheHeader(fresh) == "miss")
            #expect(calls.withLockedValue { $0 } == 2)
            #expect(Self.cacheHeader(try await Self.ask(http, key: keys[0], control: "only-if-cached")) == "hit")

            let sampled = try await Self.ask(http, key: keys[0], temperature: 0.8)
            #expect(Self.cacheHeader(sampled) == nil)
            _ = try await Self.ask(http, key: keys[0], temperature: 0.8)
            #expect(calls.withLockedValue { $0 } == 4)
            _ = try await Self.ask(http, key: keys[0], temperature: 0.8, control: "force")
            #expect(Self.cacheHeader(try await Self.ask(http, key: keys[0], temperature: 0.8, control: "force")) == "hit")
            #expect(calls.withLockedValue { $0 } == 5)
        }
    }
}
