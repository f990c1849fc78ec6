import CentaurCore
import CentaurTestSupport
import Foundation
import Testing
@testable import CentaurRetrieval

@Suite("Grounded answers")
struct RAGTests {
    static func hits() throws -> [RetrievalHit] {
        var collection = RetrievalCollection(manifest: CollectionManifest(name: "rag"))
        try collection.upsert([
            RetrievalDocument(id: "p1", text: "Daily vitamin D for two years raised hip bone density slightly in older women."),
            RetrievalDocument(id: "p2", text: "Statin users reported muscle pain as often as those given a placebo."),
        ])
        return try collection.searchNow(RetrievalQuery(text: "vitamin D bone density", top: 5))
    }

    @Test("citations are checked against the passages given: verified, invented, or none at all")
    func citations() async throws {
        let hits = try Self.hits()
        let good = ScriptedModel(answering: "It raised hip bone density slightly [p1].")
        let answer = try await GroundedAnswerer(model: good, modelName: "m").answer("What did vitamin D do to bones?", hits: hits)
        #expect(answer.found && answer.grounded && answer.citations == [.init(id: "p1", verified: true)] && answer.invented.isEmpty)
        let prompt = try #require(good.requests.first?.messages.first?.content.compactMap(\.text).joined())
        #expect(prompt.contains("[p1] Daily vitamin D") && good.requests.first?.system?.contains("NOT FOUND") == true)

        let invented = try await GroundedAnswerer(model: ScriptedModel(answering: "It cured osteoporosis [p1, p9]."), modelName: "m")
            .answer("What did vitamin D do?", hits: hits)
        #expect(invented.invented == ["p9"] && !invented.grounded && invented.citations.map(\.verified) == [true, false])
        let uncited = try await GroundedAnswerer(model: ScriptedModel(answering: "It helps bones."), modelName: "m").answer("q", hits: hits)
        #expect(uncited.found && !uncited.grounded && uncited.citations.isEmpty, "an answer citing nothing is not grounded")
    }

    @Test("no relevant passage, or a model that says the sources do not answer, is \"not found\" — the model is not asked without sources")
    func notFound() async throws {
        let model = ScriptedModel(answering: "Paris [p1].")
        let none = try await GroundedAnswerer(model: model, modelName: "m").answer("What is the capital of France?", hits: [])
        #expect(!none.found && none.answer == GroundedAnswerer.notFound && model.requests.isEmpty)
        let refused = try await GroundedAnswerer(model: ScriptedModel(answering: "NOT FOUND"), modelName: "m").answer("Who won in 1998?", hits: try Self.hits())
        #expect(!refused.found && refused.citations.isEmpty)
        for hedged in ["[p1] NOT FOUND", "The sources do not say. NOT FOUND.", "[p1]", " [p1], [p2]. "] {
            let answer = try await GroundedAnswerer(model: ScriptedModel(answering: hedged), modelName: "m").answer("Who won in 1998?", hits: try Self.hits())
            #expect(!answer.found && !answer.grounded && answer.answer == GroundedAnswerer.notFound, "\(hedged)")
        }
    }

    @Test("passages are packed best first under the token budget; one that does not fit whole is left out")
    func packing() throws {
        let hits = try Self.hits()
        let answerer = GroundedAnswerer(model: ScriptedModel(answering: "x"), modelName: "m", contextTokens: 50)
        #expect(answerer.pack(hits).map(\.id) == hits.map(\.id))
        let tight = GroundedAnswerer(model: ScriptedModel(answering: "x"), modelName: "m", contextTokens: 50, count: { _ in 30 })
        #expect(tight.pack(hits).count == 1)
        #expect(GroundedAnswerer.citations(in: "A [a#1]. B [b, c]. [not an id] [d]") == ["a#1", "b", "c", "d"])
    }
}
