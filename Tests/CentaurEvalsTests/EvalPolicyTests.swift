import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurTestSupport
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import CentaurEvals

/// Evals call configured models through the gateway pipeline: the data-processing policy holds for them too.
@Suite("Evals and the data-processing policy")
struct EvalPolicyTests {
    @Test("a centaur:NAME provider whose policy is no PII never receives the suite's personal data; the answer is restored")
    func policy() async throws {
        let received = NIOLockedValueBox<[String]>([])
        let upstream = try await FakeUpstream.start { request in
            let body = String(decoding: request.body, as: UTF8.self)
            received.withLockedValue { $0.append(body) }
            let echo = (try? JSONValue(parsing: request.body))?["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
            let reply: JSONValue = ["id": "r", "object": "chat.completion", "model": "m",
                                    "choices": [["index": 0, "message": ["role": "assistant", "content": .string(echo)], "finish_reason": "stop"]],
                                    "usage": ["prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6]]
            return .json(reply.jsonString())
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let configuration = try ConfigurationLoader(environment: [:]).parse("""
                providers:
                  vendor: { kind: openai, api_key: k, base_url: "\(upstream.baseURL)/v1", flavor: compatible }
                models:
                  vendor-model: { provider: vendor, id: m }
                default_model: vendor-model
                """, source: "test.yaml")
            let registry = ModelRegistry(configuration: configuration, httpClient: client, logger: Logger(label: "test"))
            let factory = EvalProviderFactory(registry: registry, httpClient: client)
            let suite = try EvalSuite(yaml: """
                providers: [centaur:vendor-model]
                prompts: ["Repeat exactly: {{text}}"]
                tests:
                  - vars: { text: "Jane Roe, SSN 536-22-1947" }
                    assert: [{ type: contains, value: "536-22-1947" }]
                """, baseDirectory: FileManager.default.temporaryDirectory)
            let runner = EvalRunner(providers: ["centaur:vendor-model": try factory.make(suite.providers[0])])
            let run = try await runner.run(suite, suitePath: "s")
            #expect(run.results.first?.success == true, "the client sees the original value: \(run.results.first?.output ?? "")")
            let bodies = received.withLockedValue { $0 }
            #expect(bodies.count == 1)
            #expect(!bodies[0].contains("536-22-1947") && !bodies[0].contains("Jane Roe"))
            #expect(bodies[0].contains("<US_SSN_1>"))
            #expect(throws: EvalSuiteError.self) { try factory.make(EvalSuite.ProviderSpec(id: "centaur:nope", label: "x", config: [:])) }
        } catch {
            try? await client.shutdown()
            try? await upstream.shutdown()
            throw error
        }
        try await client.shutdown()
        try await upstream.shutdown()
    }
}
