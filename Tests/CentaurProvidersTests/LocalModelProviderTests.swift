import AsyncHTTPClient
import CentaurCore
import CentaurTestSupport
import Testing
@testable import CentaurProviders

/// The OpenAI-compatible provider over the real local model (llama.cpp's server), started by `LocalModelServer`.
@Suite(.serialized, LocalModel.needed())
struct LocalModelProviderTests {
    @Test("a streamed answer counts its prompt as a whole answer does, chat template included")
    func streamedPromptTokens() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let server = LocalModelServer(configuration: .init(home: LocalModel.home), httpClient: client)
        let supervisor = Task { try await server.run() }
        try await server.waitUntilReady()
        let model = OpenAICompatibleModel(
            configuration: .init(baseURL: server.baseURL, modelID: LocalModelServer.defaultAlias, flavor: .llamaCpp), httpClient: client)
        let request = ModelRequest(model: "small", system: "Answer in one word.", messages: [.user("Name a primary colour.")], maxTokens: 8)
        let whole = try await model.respond(to: request)
        let streamed = try await model.stream(request).collect()
        #expect(whole.usage.inputTokens > 10, "the chat template adds its own tokens to the 11 words: \(whole.usage)")
        #expect(streamed.usage.inputTokens == whole.usage.inputTokens, "streamed \(streamed.usage), whole \(whole.usage)")
        #expect(streamed.usage.outputTokens > 0)
        // Stopped before the test ends, so no server outlives it.
        supervisor.cancel()
        _ = await supervisor.result
        try await client.shutdown()
    }

}
