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
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite("Budgets and rate limits")
struct BudgetTests {
    @Test("64 concurrent clients against 40 requests per minute: exactly 40 are admitted")
    func exactRequests() async throws {
        let frozen = Date(timeIntervalSince1970: 1_800_000_000)
        let ledger = BudgetLedger(now: { frozen })
        let subjects: [(name: String, limits: Limits)] = [("key:k", Limits(rpm: 40)), ("team:t", Limits(rpm: 1000))]
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 { group.addTask { (try? ledger.admit(subjects)) != nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 40)
        // A refused request took nothing from the team's bucket either: 960 more fit before its limit.
        let more = (0..<1000).filter { _ in (try? ledger.admit([("team:t", Limits(rpm: 1000))])) != nil }.count
        #expect(more == 960)
    }

    @Test("tokens and spend settled by 64 concurrent requests add up exactly; the limit then holds")
    func exactSettlement() async throws {
        let frozen = Date(timeIntervalSince1970: 1_800_000_000)
        let ledger = BudgetLedger(spent: ["team:t": 1.25], now: { frozen })
        let subjects: [(name: String, limits: Limits)] = [("team:t", Limits(tpm: 100_000, monthlyUSD: 2.0))]
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<64 { group.addTask { ledger.settle(subjects, tokens: 1_000, costUSD: 0.0078125) } }
        }
        #expect(ledger.spent("team:t") == 1.25 + 64 * 0.0078125)
        try ledger.admit(subjects)  // 36,000 tokens and $0.25 left
        ledger.settle(subjects, tokens: 40_000, costUSD: 0)
        #expect(throws: ModelError.self) { try ledger.admit(subjects) }
        ledger.settle([("team:u", Limits(monthlyUSD: 1))], tokens: 0, costUSD: 1)
        let error = #expect(throws: ModelError.self) { try ledger.admit([("team:u", Limits(monthlyUSD: 1))]) }
        #expect(error?.kind == .rateLimited && error?.message.contains("monthly budget") == true)
        #expect((error?.retryAfter ?? .zero) > Duration.seconds(3600))
    }

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
                capped: { monthly_usd: 0.01 }
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
            #expect(try await Self.call(http, team).status == .ok)  // costs $0.012, over the team's $0.01
            let broke = try await Self.call(http, team)
            #expect(broke.status == .tooManyRequests)
            #expect(String(buffer: broke.body).contains("monthly budget"))
            #expect(Int(broke.headers[.retryAfter] ?? "") ?? 0 > 60)
        }
    }
}
