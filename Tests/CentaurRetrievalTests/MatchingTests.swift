import CentaurCore
import CentaurTestSupport
import Foundation
import Testing
@testable import CentaurRetrieval

@Suite("Matching example")
struct MatchingTests {
    static func collection(_ count: Int, dense: MiniLMEncoder? = nil) throws -> RetrievalCollection {
        var collection = RetrievalCollection(manifest: CollectionManifest(name: "profiles", textFields: ["answer"], metadataFields: ProfileGenerator.metadataFields),
                                             dimensions: dense?.dimensions)
        if dense != nil { collection.manifest.embedding = dense?.name }
        let documents = try ProfileGenerator.generate(count: count).enumerated().map { try collection.document(from: $0.element, line: $0.offset + 1) }
        try collection.upsert(documents, vectors: dense.map { encoder in documents.map { encoder.encode($0.text) } })
        return collection
    }

    @Test("profiles: the same for a seed, every field there, each place within 16 km of its city")
    func generator() {
        let profiles = ProfileGenerator.generate(count: 300, seed: 5)
        #expect(profiles == ProfileGenerator.generate(count: 300, seed: 5) && profiles != ProfileGenerator.generate(count: 300, seed: 6))
        for profile in profiles {
            #expect(Set(profile.keys).isSuperset(of: ProfileGenerator.metadataFields + ["_id", "answer", "name"]))
            let city = ProfileGenerator.cities.first { $0.name == profile["city"]?.stringValue }!
            let place = GeoPoint(latitude: profile["place"]?["lat"]?.doubleValue ?? 0, longitude: profile["place"]?["lon"]?.doubleValue ?? 0)
            #expect(place.kilometres(to: GeoPoint(latitude: city.latitude, longitude: city.longitude)) < 16)
            #expect((profile["age_min"]?.doubleValue ?? 99) <= (profile["age"]?.doubleValue ?? 0))
        }
        #expect(Set(profiles.compactMap { $0["answer"]?.stringValue }).count == 300, "every answer its own")
    }

    @Test("the hard filter in the filter language agrees with plain code on every pair (property test over 400 profiles × 10)")
    func filterAgreesWithPlainCode() throws {
        let collection = try Self.collection(400)
        for me in collection.documents.values.sorted(by: { $0.id < $1.id }).prefix(10) {
            for km in [5.0, 25, 3_000] {
                let filter = try Matcher.hardFilter(for: me, withinKilometres: km)
                for other in collection.documents.values where other.id != me.id {
                    #expect(filter.matches(other.metadata) == Matcher.compatible(me, other, withinKilometres: km), "\(me.id) \(other.id) \(km)")
                }
            }
        }
    }

    @Test("lexical: candidates pass the filters, never include the profile itself, and equal exhaustive search (recall@20 = 1.0)")
    func lexicalRecall() async throws {
        let matcher = Matcher(collection: try Self.collection(1_500), embedder: nil)
        let report = try await MatchEvaluation.run(matcher, profiles: 150, withinKilometres: 3_000, candidates: 20)
        #expect(report.meanRecall == 1 && report.minimumRecall == 1 && report.filterViolations == 0, "\(report)")
        #expect(report.meanCandidates > 15, "a 3,000 km radius leaves 20 for most: \(report)")
        let hits = try await matcher.candidates(Matcher.Request(profile: "p00001", withinKilometres: 3_000))
        #expect(!hits.contains { $0.id == "p00001" } && hits.map(\.rank) == Array(1...hits.count))
        await #expect(throws: RetrievalError.self) { try await matcher.candidates(Matcher.Request(profile: "nobody")) }
    }

    @Test("hybrid with the native MiniLM: recall@20 against exhaustive search is 1.0", .enabled(if: LocalEmbeddings.wanted, "run scripts/setup-embeddings"))
    func hybridRecall() async throws {
        let encoder = try #require(LocalEmbeddings.encoder)
        let matcher = Matcher(collection: try Self.collection(300, dense: encoder), embedder: encoder)
        let report = try await MatchEvaluation.run(matcher, profiles: 100, withinKilometres: 3_000, candidates: 20)
        #expect(report.meanRecall == 1 && report.filterViolations == 0 && report.meanCandidates > 5, "\(report)")
        let near = try await MatchEvaluation.run(matcher, profiles: 100, withinKilometres: 25, candidates: 20)
        #expect(near.meanRecall == 1 && near.filterViolations == 0, "\(near)")
    }

    @Test("the model ranks: an invented id is dropped and reported; a reason copied from a profile becomes what they share; an unusable answer falls back to retrieval's order")
    func explainer() async throws {
        let collection = try Self.collection(200)
        let me = collection.documents["p00001"]!
        let candidates = collection.documents.values.sorted { $0.id < $1.id }.filter { $0.id != me.id }.prefix(6).map { $0 }
        let copied = String(candidates[1].text.prefix(60))
        let model = ScriptedModel(steps: [
            .respond(ModelResponse(model: "m", content: [.text(
                #"{"matches":[{"id":"p99999","reason":"x"},{"id":"\#(candidates[2].id)","reason":"Both love jazz."},"#
                    + #"{"id":"\#(candidates[1].id)","reason":"\#(copied)"}]}"#)],
                                   stopReason: .endTurn, usage: .zero)),
            .respond(ModelResponse(model: "m", content: [.text("I cannot decide")], stopReason: .endTurn, usage: .zero)),
        ])
        let explainer = MatchExplainer(model: model, modelName: "m")
        let ranking = try await explainer.rank(me, candidates: candidates)
        #expect(ranking.invented == ["p99999"] && !ranking.fallback)
        #expect(ranking.picks.map(\.id) == [candidates[2].id, candidates[1].id] && ranking.picks[0].reason == "Both love jazz.")
        #expect(ranking.picks[1].reason != copied)
        let request = try #require(model.requests.first)
        guard case .jsonSchema(_, let schema) = request.responseFormat else { Issue.record("a JSON Schema is asked for"); return }
        #expect(schema["properties"]?["matches"]?["items"]?["properties"]?["id"]?["enum"]?.arrayValue?.count == 6)
        let fallback = try await explainer.rank(me, candidates: candidates)
        #expect(fallback.fallback && fallback.picks.map(\.id) == candidates.prefix(5).map(\.id))
    }

    @Test("common ground: shared words by stem, filler and stopwords left out")
    func commonGround() {
        let shared = MatchExplainer.commonGround("I used to listen to jazz and read Dune. Music on repeat: soul.", "Lately I listen to soul and jazz; Dune forever.")
        #expect(shared == ["jazz", "dune", "soul"], "\(shared)")
    }
}
