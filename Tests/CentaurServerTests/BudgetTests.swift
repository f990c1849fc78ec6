import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurServer
import CentaurStore
import CentaurTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Budgets and rate limits")
struct BudgetTests {
    static func withServer(_ body: @escaping @Sendable (any TestClientProtocol, CentaurServerComponents) async throws -> Void) async throws {
        let upstream = try await FakeUpstream.start { _ in
            .json(#"{"id":"r1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}"#)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let yaml = """
            providers:
              fake: { kind: openai, api_key: k, base_url: "\(upstream.baseURL)/v1", flavor: compatible, pii: all }
            models:
              m: { provider: fake, id: m, price: { input: 1000, output: 1000 } }
            default_model: m
            budgets:
              teams:
                capped: { monthly_usd: 0.05 }
            cache: { enabled: false }
            """
        let configuration = try ConfigurationLoader(environment: [:]).parse(yaml, source: "test.yaml")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-budget-\(UUID().uuidString)").path
        do {
            let components = try await CentaurServerComponents(configuration: configuration, settings: ServerSettings(port: 0),
                                                         dataDirectory: directory, httpClient: client, logger: .init(label: "test"))
            try await Application(router: components.makeRouter()).test(.router) { http in try await body(http, components) }
        } catch {
            try? await client.shutdown()
            try? await upstream.shutdown()
            throw error
        }
        try await client.shutdown()
        try await upstream.shutdown()
    }

    static func call(_ http: any TestClientProtocol, _ key: String, dialect: ClientDialect = .openAI) async throws -> TestResponse {
        let body = #"{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#
        var headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
        dialect.addHeaders(&headers)
        return try await http.execute(uri: dialect.path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test("over RPM, TPM or spend: 429 with retry-after, in each API's own error shape")
    func overLimits() async throws {
        try await Self.withServer { http, components in
            let rpm = try await components.keys.create(name: "rpm", team: nil, scope: .gateway, limits: Limits(rpm: 2)).secret
            #expect(try await Self.call(http, rpm).status == .ok)
            #expect(try await Self.call(http, rpm, dialect: .anthropic).status == .ok)
            let refused = try await Self.call(http, rpm)
            #expect(refused.status == .tooManyRequests)
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
            let openAI = try JSONValue(parsing: Data(buffer: refused.body))
            #expect(openAI["error"]?["type"] == "rate_limit_error")
            #expect(openAI["error"]?["message"]?.stringValue?.contains("requests per minute") == true)
            let anthropic = try await Self.call(http, rpm, dialect: .anthropic)
            #expect(anthropic.status == .tooManyRequests)
            #expect(try JSONValue(parsing: Data(buffer: anthropic.body))["error"]?["type"] == "rate_limit_error")

            let tpm = try await components.keys.create(name: "tpm", team: nil, scope: .gateway, limits: Limits(tpm: 5)).secret
            #expect(try await Self.call(http, tpm).status == .ok)  // uses 12 tokens: the bucket is now below zero
            let overTokens = try await Self.call(http, tpm)
            #expect(overTokens.status == .tooManyRequests)
            #expect(String(buffer: overTokens.body).contains("tokens per minute"))

            let team = try await components.keys.create(name: "spender", team: "capped", scope: .gateway).secret
            // Each call reserves its worst case first: 34 tokens in (2 bytes, allowances for the request and the
            // message) and max_tokens (10) out at $1,000 per million, $0.044 of the team's $0.05.
            #expect(try await Self.call(http, team).status == .ok)  // costs $0.012: $0.038 left, less than a worst case
            #expect(try await components.budgets.spent("team:capped", at: Date()) == 12_000)
            let broke = try await Self.call(http, team)
            #expect(broke.status == .tooManyRequests)
            #expect(String(buffer: broke.body).contains("monthly budget"))
            #expect(Int(broke.headers[.retryAfter] ?? "") ?? 0 > 60)
        }
    }
}
