import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurEvals
import CentaurExtraction
import CentaurGateway
import CentaurRuntime
import CentaurStore
import CentaurTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// Every library path that calls a model goes through the runtime's one pipeline: one trace per upstream call,
/// under the caller's surface, with tokens and cost.
struct RuntimeTests {
    /// An OpenAI-compatible upstream that counts its calls and answers `{"first_name": "JANE"}` (whole or streamed).
    static func upstream(calls: Counter) async throws -> FakeUpstream {
        try await FakeUpstream.start { request in
            calls.add()
            let json = (try? JSONValue(parsing: request.body)) ?? .null
            let text = #"{"first_name": "JANE"}"#
            if json["stream"] == true {
                let chunk: JSONValue = ["id": "c1", "object": "chat.completion.chunk", "model": "gpt-fake",
                                        "choices": [["index": 0, "delta": ["content": .string(text)], "finish_reason": .null]]]
                let last: JSONValue = ["id": "c1", "object": "chat.completion.chunk", "model": "gpt-fake",
                                       "choices": [["index": 0, "delta": [:], "finish_reason": "stop"]],
                                       "usage": ["prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18]]
                return .sse("data: \(chunk.jsonString())\n\ndata: \(last.jsonString())\n\ndata: [DONE]\n\n")
            }
            let reply: JSONValue = ["id": "r1", "object": "chat.completion", "model": "gpt-fake",
                                    "choices": [["index": 0, "message": ["role": "assistant", "content": .string(text)], "finish_reason": "stop"]],
                                    "usage": ["prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18]]
            return .json(reply.jsonString())
        }
    }

    @Test("the CLI's, the extractor's and evals' model calls each leave one trace per upstream call, under their surface")
    func oneTracePerCall() async throws {
        let calls = Counter()
        let upstream = try await Self.upstream(calls: calls)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-runtime-\(UUID().uuidString)").path
        let configuration = try ConfigurationLoader(environment: [:]).parse("""
            providers:
              fake: { kind: openai, api_key: k, base_url: "\(upstream.baseURL)/v1", flavor: compatible }
            models:
              gpt-fake: { provider: fake, id: upstream-model-7, price: { input: 1.0, output: 2.0 } }
            default_model: gpt-fake
            """, source: "test.yaml")
        let runtime = try await CentaurRuntime.open(configuration: configuration, dataDirectory: directory, httpClient: client,
                                                    logger: Logger(label: "test"))
        func traces(_ surface: String) async throws -> [TraceRecord] {
            try await runtime.stores.traces.traces(TraceQuery(limit: 100)).traces.filter { $0.surface == surface }
        }

        // `centaur ask`: streamed, through the pipeline.
        let request = ModelRequest(model: "gpt-fake", messages: [.user("Hello")], maxTokens: 20)
        let asked = try await runtime.withServices(for: ["gpt-fake"]) {
            try await runtime.model(surface: "cli").stream(request).collect()
        }
        #expect(asked.text.contains("JANE"))
        let cli = try await traces("cli")
        #expect(cli.count == 1 && calls.count == 1)
        #expect(cli.first?.inputTokens == 12 && cli.first?.outputTokens == 6)
        #expect(abs((cli.first?.costUSD ?? 0) - (12 * 1.0 + 6 * 2.0) / 1_000_000) < 1e-12)

        // `centaur extract` and the extraction worker: the model extractor.
        let type = try DocumentType.named("us-drivers-license")
        let document = try Document(name: "front.pdf", data: TestDocuments.blankPDF(pages: 1))
        let extractor = try runtime.modelExtractor("gpt-fake")
        let extracted = try await runtime.withServices(for: ["gpt-fake"]) {
            try await extractor.extract(document, as: type, text: "DRIVER LICENSE JANE ROE DOB 07/04/1990")
        }
        let extraction = try await traces("extraction")
        let afterExtraction = calls.count
        #expect(extraction.count == afterExtraction - 1 && extraction.count >= 1, "one trace per extraction call")
        // The extractor prices its attempts as the gateway priced the calls (by the configured name's price).
        let attemptCost = extracted?.attempts.compactMap(\.cost).reduce(0, +)
        #expect(attemptCost != nil && abs((attemptCost ?? 0) - extraction.compactMap(\.costUSD).reduce(0, +)) < 1e-12,
                "\(String(describing: attemptCost)) against \(extraction.compactMap(\.costUSD))")

        // `centaur eval run`: a centaur:NAME provider.
        let factory = EvalProviderFactory(registry: runtime.registry, pipeline: runtime.model(surface: "evals"), httpClient: client)
        let provider = try factory.make(EvalSuite.ProviderSpec(id: "centaur:gpt-fake", label: "centaur:gpt-fake", config: [:]))
        let answered = try await runtime.withServices(for: ["gpt-fake"]) {
            try await provider.answer(EvalRequest(prompt: "Say JANE"))
        }
        #expect(answered.output.contains("JANE"))
        let evals = try await traces("evals")
        #expect(evals.count == calls.count - afterExtraction && evals.count == 1)
        #expect(try await runtime.stores.traces.requestCount() == calls.count, "nothing called the model outside the pipeline")
        try await client.shutdown()
        try await upstream.shutdown()
    }
}
