import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurTestSupport
import Foundation
import Synchronization
import Testing

/// Vectors chosen per text, so similarities are known exactly.
final class TableEmbedder: EmbeddingModel, Sendable {
    let name = "table"
    let dimensions = 3
    let table: [String: [Float]]
    private let seen = Mutex<[String]>([])
    init(_ table: [String: [Float]]) { self.table = table }
    var inputs: [String] { seen.withLock { $0 } }
    func embed(_ texts: [String]) async throws -> [[Float]] {
        seen.withLock { $0 += texts }
        return try texts.map { text in
            guard let vector = table[text] else { throw ModelError(kind: .unavailable, message: "no vector for \(text)", status: 503) }
            return vector
        }
    }
}

@Suite("Semantic cache")
struct SemanticCacheTests {
    static let table: [String: [Float]] = [
        "What is the capital of France?": [1, 0, 0],
        "Which city is France's capital?": [0.98, 0.199, 0],     // cosine 0.98
        "What is the capital of Germany?": [0.9, 0.436, 0],      // cosine 0.90
        "Mail jane.doe@example.com the capital of France": [0, 0, 1],
        "Mail <EMAIL_ADDRESS_1> the capital of <LOCATION_1>": [0, 1, 0],
    ]

    static func request(_ text: String, system: String? = nil) -> ModelRequest {
        ModelRequest(model: "faq", system: system, messages: [Message(role: .user, content: [.text(text)])])
    }

    static func gateway(_ middleware: SemanticCacheMiddleware, model: ScriptedModel) -> Gateway {
        Gateway(middleware: [middleware], terminal: { request, _ in model.stream(request) }, terminalResponder: { request, _ in try await model.respond(to: request) })
    }

    static func context(route: String = "faq", team: String = "a") -> GatewayContext {
        GatewayContext(caller: CallerIdentity(keyID: "k-\(team)", keyName: "k", team: team), route: route)
    }

    @Test("a paraphrase above the threshold is answered from the cache with its similarity traced; a near-duplicate below it goes to the model")
    func threshold() async throws {
        var settings = SemanticCacheSettings(routes: ["faq"])
        settings.threshold = 0.95
        let model = ScriptedModel(steps: [.compute { request in
            ModelResponse(model: "m", content: [.text("answer to: \(request.messages.last?.content.first.flatMap { if case .text(let t) = $0 { t } else { nil } } ?? "")")],
                          stopReason: .endTurn, usage: Usage(inputTokens: 5, outputTokens: 5))
        }])
        let gateway = Self.gateway(SemanticCacheMiddleware(settings: settings, embedder: TableEmbedder(Self.table)), model: model)
        let first = try await gateway.respond(to: Self.request("What is the capital of France?"), context: Self.context())
        let paraphrase = Self.context()
        let second = try await gateway.respond(to: Self.request("Which city is France's capital?"), context: paraphrase)
        #expect(second.text == first.text && model.requests.count == 1)
        #expect(paraphrase.facts.tags["cache"] == "hit" && paraphrase.facts.tags["cache_kind"] == "semantic"
                && paraphrase.facts.tags["cache_similarity"] == "0.9800",
                "\(paraphrase.facts.tags)")
        let other = Self.context()
        let third = try await gateway.respond(to: Self.request("What is the capital of Germany?"), context: other)
        #expect(third.text == "answer to: What is the capital of Germany?" && model.requests.count == 2)
        #expect(other.facts.tags["cache_semantic"] == "miss" && other.facts.tags["cache_nearest_similarity"] == "0.9000",
                "the nearest stored question is France's (a hit is not stored): \(other.facts.tags)")
        // Streaming replays the cached answer too.
        let streamed = try await gateway.stream(Self.request("Which city is France's capital?"), context: Self.context()).collect()
        #expect(streamed.text == first.text && model.requests.count == 2)
    }

    @Test("scoped: another tenant, another system prompt or a route that did not opt in never gets the answer; no-cache skips it")
    func scope() async throws {
        let model = ScriptedModel(answering: "Paris")
        let gateway = Self.gateway(SemanticCacheMiddleware(settings: SemanticCacheSettings(routes: ["faq"]), embedder: TableEmbedder(Self.table)), model: model)
        let question = "What is the capital of France?"
        _ = try await gateway.respond(to: Self.request(question), context: Self.context())
        _ = try await gateway.respond(to: Self.request(question), context: Self.context(team: "b"))
        #expect(model.requests.count == 2, "team b has its own entries")
        _ = try await gateway.respond(to: Self.request(question, system: "Answer in French."), context: Self.context())
        #expect(model.requests.count == 3, "another system prompt is another scope")
        _ = try await gateway.respond(to: Self.request(question), context: Self.context(route: "other"))
        _ = try await gateway.respond(to: Self.request(question), context: Self.context(route: "other"))
        #expect(model.requests.count == 5, "a route that did not opt in is never cached")
        var noCache = Self.context()
        noCache.cacheControl = .noCache
        _ = try await gateway.respond(to: Self.request(question), context: noCache)
        #expect(model.requests.count == 6)
        _ = try await gateway.respond(to: Self.request(question), context: Self.context())
        #expect(model.requests.count == 6, "the same tenant, prompt and route: a hit")
    }

    @Test("the embedding model gets only the personal data it may receive; an embedder that fails is a miss, not a failed request")
    func policy() async throws {
        let embedder = TableEmbedder(Self.table)
        let model = ScriptedModel(answering: "ok")
        let gateway = Self.gateway(SemanticCacheMiddleware(settings: SemanticCacheSettings(routes: ["faq"]), embedder: embedder, allowed: []), model: model)
        _ = try await gateway.respond(to: Self.request("Mail jane.doe@example.com the capital of France"), context: Self.context())
        #expect(embedder.inputs == ["Mail <EMAIL_ADDRESS_1> the capital of <LOCATION_1>"])
        let failing = Self.context()
        let answer = try await gateway.respond(to: Self.request("a text with no vector"), context: failing)
        #expect(answer.text == "ok" && failing.facts.tags["cache_semantic"]?.hasPrefix("unavailable") == true)
    }

    @Test("entries expire after ttl_s and the oldest go past capacity")
    func expiry() async throws {
        let cache = SemanticCache(capacity: 10)
        let start = Date(timeIntervalSince1970: 1_000)
        for index in 0..<12 {
            cache.insert(SemanticCache.Entry(vector: [1, 0], response: ModelResponse(model: "m", content: [.text("\(index)")], stopReason: .endTurn, usage: .zero),
                                             originRequestID: "r\(index)", createdAt: start, expiresAt: start.addingTimeInterval(Double(60 + index)), costUSD: nil),
                         scope: "s")
        }
        #expect(cache.count <= 10)
        #expect(cache.nearest([1, 0], scope: "s", now: start.addingTimeInterval(1))?.entry.originRequestID != "r0", "the oldest was evicted")
        #expect(cache.nearest([1, 0], scope: "s", now: start.addingTimeInterval(100)) == nil, "all expired")
        #expect(cache.count == 0)
    }
}

@Suite("Semantic cache: literals and near-duplicate pairs")
struct NearDuplicateTests {
    @Test("literals: digit runs and quoted spans in order; an apostrophe in a word quotes nothing")
    func literals() {
        #expect(SemanticCache.literals("Convert 51 miles to km.") == ["51"])
        #expect(SemanticCache.literals("What is 3.5 plus 12?") == ["3.5", "12"])
        #expect(SemanticCache.literals("Translate 'Good morning' into French's best") == ["\"good morning"])
        #expect(SemanticCache.literals("Which city is France's capital?") == [])
        #expect(SemanticCache.literals("Convert 51 miles") != SemanticCache.literals("Convert 56 miles"))
    }

    @Test("a hit needs the same literals: 51 miles is never served 56 miles' answer, however close the vectors")
    func literalGuard() async throws {
        let embedder = TableEmbedder(["Convert 51 miles to km.": [1, 0, 0], "Convert 56 miles to km.": [1, 0, 0]])
        let model = ScriptedModel(answering: "82 km")
        let gateway = SemanticCacheTests.gateway(SemanticCacheMiddleware(settings: SemanticCacheSettings(routes: ["faq"]), embedder: embedder), model: model)
        _ = try await gateway.respond(to: SemanticCacheTests.request("Convert 51 miles to km."), context: SemanticCacheTests.context())
        _ = try await gateway.respond(to: SemanticCacheTests.request("Convert 56 miles to km."), context: SemanticCacheTests.context())
        #expect(model.requests.count == 2)
        var loose = SemanticCacheSettings(routes: ["faq"])
        loose.matchLiterals = false
        let looseModel = ScriptedModel(answering: "82 km")
        let looseGateway = SemanticCacheTests.gateway(SemanticCacheMiddleware(settings: loose, embedder: embedder), model: looseModel)
        _ = try await looseGateway.respond(to: SemanticCacheTests.request("Convert 51 miles to km."), context: SemanticCacheTests.context())
        _ = try await looseGateway.respond(to: SemanticCacheTests.request("Convert 56 miles to km."), context: SemanticCacheTests.context())
        #expect(looseModel.requests.count == 1, "without the guard the wrong answer is served")
    }

    @Test("the generator: deterministic by seed, both kinds, every pair two different texts; rates counted per threshold")
    func generator() {
        let pairs = NearDuplicatePairs.generate(count: 400, seed: 7)
        #expect(pairs == NearDuplicatePairs.generate(count: 400, seed: 7) && pairs != NearDuplicatePairs.generate(count: 400, seed: 8))
        #expect(pairs.count == 400 && pairs.allSatisfy { $0.first != $0.second })
        #expect(pairs.filter(\.sameAnswer).count > 120 && pairs.filter { !$0.sameAnswer }.count > 120)
        #expect(Set(pairs.map(\.family)).count == 8)
        let toy = [PromptPair(family: "a", first: "1", second: "2", sameAnswer: false), PromptPair(family: "b", first: "x", second: "y", sameAnswer: false),
                   PromptPair(family: "a", first: "p", second: "q", sameAnswer: true)]
        let rates = NearDuplicatePairs.rates(toy, similarities: [0.97, 0.91, 0.95], thresholds: [0.9, 0.96])
        #expect(rates[0].falseHitRate == 1 && rates[0].paraphraseHitRate == 1)
        #expect(rates[1].falseHitRate == 0.5 && rates[1].paraphraseHitRate == 0 && rates[1].worstFamily == "a")
        #expect(NearDuplicatePairs.rates(toy, similarities: [0.97, 0.91, 0.95], thresholds: [0.9], matchLiterals: true)[0].falseHitRate == 0.5)
    }

    @Test("with the native MiniLM: false hits fall as the threshold rises, and near-duplicates are no rarer than paraphrases at 0.9",
          .enabled(if: EmbeddingsAPIAvailability.native, "run scripts/setup-embeddings"))
    func native() async throws {
        let registry = EmbeddingRegistry(configuration: .embeddedDefault, httpClient: .shared,
                                         nativeDirectory: EmbeddingRegistry.nativeDirectory(home: Repository.root.appendingPathComponent(".centaur")))
        let pairs = NearDuplicatePairs.generate(count: 300)
        let similarities = try await NearDuplicatePairs.similarities(pairs, model: try registry.resolve("all-minilm-l6-v2").model)
        let rates = NearDuplicatePairs.rates(pairs, similarities: similarities, thresholds: [0.8, 0.9, 0.95, 0.99])
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0.falseHitRate >= $1.falseHitRate && $0.paraphraseHitRate >= $1.paraphraseHitRate })
        #expect(rates[0].falseHitRate > rates[3].falseHitRate && rates[0].paraphraseHitRate > 0.5)
        let guarded = NearDuplicatePairs.rates(pairs, similarities: similarities, thresholds: [0.8], matchLiterals: true)
        #expect(guarded[0].falseHitRate < rates[0].falseHitRate && guarded[0].paraphraseHitRate == rates[0].paraphraseHitRate)
    }
}

enum EmbeddingsAPIAvailability {
    static var native: Bool {
        FileManager.default.fileExists(atPath: Repository.root.appendingPathComponent(".centaur/models/all-minilm-l6-v2/model.safetensors").path)
            || ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_EMBEDDINGS"] == "1"
    }
}
