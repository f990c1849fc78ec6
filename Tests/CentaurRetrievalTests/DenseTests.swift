import Foundation
import Testing
@testable import CentaurRetrieval

@Suite("Dense index and hybrid fusion")
struct DenseTests {
    static func randomVector(_ generator: inout SeededGenerator, dimensions: Int = 16) -> [Float] {
        (0..<dimensions).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let dot = zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        return dot / (a.reduce(0) { $0 + $1 * $1 }.squareRoot() * b.reduce(0) { $0 + $1 * $1 }.squareRoot())
    }

    @Test("exact: the top k equal brute force's, with and without filters, and k come back whenever k rows match")
    func exact() {
        var generator = SeededGenerator(seed: 7)
        var index = DenseIndex(dimensions: 16)
        var vectors: [String: [Float]] = [:]
        for n in 0..<3_000 {
            let vector = Self.randomVector(&generator)
            vectors["v\(n)"] = vector
            index.upsert(id: "v\(n)", vector: vector)
        }
        for trial in 0..<20 {
            let query = Self.randomVector(&generator)
            let modulus = [1, 3, 20, 100, 1_000, 5_000][trial % 6]  // keeps 100 %, 33 %, 5 %, 1 %, 0.1 %, and 1 row of 3,000
            let allowed: (String) -> Bool = { Int($0.dropFirst())! % modulus == 0 }
            let expected = vectors.filter { allowed($0.key) }.map { ($0.key, Self.cosine($0.value, query)) }
                .sorted { $0.1 > $1.1 }.prefix(20).map(\.0)
            let hits = index.search(query, top: 20, allowed: allowed)
            #expect(hits.map(\.id) == Array(expected), "trial \(trial), every \(modulus)th row")
            #expect(hits.count == min(20, vectors.keys.filter(allowed).count), "k whenever k rows match")
        }
    }

    @Test("HNSW above the threshold: recall@10 ≥ 0.95 against exact, filters kept, k guaranteed by falling back, updates seen")
    func approximate() {
        var generator = SeededGenerator(seed: 11)
        var index = DenseIndex(dimensions: 24, approximateAbove: 500)
        var vectors: [String: [Float]] = [:]
        for n in 0..<2_000 {
            let vector = Self.randomVector(&generator, dimensions: 24)
            vectors["v\(n)"] = vector
            index.upsert(id: "v\(n)", vector: vector)
            if n == 499 {
                index.buildGraphIfLarge()
                #expect(!index.hasGraph, "500 rows are not above 500")
            }
            if n == 500 {
                index.buildGraphIfLarge()
                #expect(index.hasGraph, "built above 500 rows")
            }
        }
        #expect(index.hasGraph, "and grown one row at a time since")
        func recall(filter: ((String) -> Bool)? = nil, trials: Int = 40) -> Double {
            var found = 0, wanted = 0
            for _ in 0..<trials {
                let query = Self.randomVector(&generator, dimensions: 24)
                let exact = Set(index.search(query, top: 10, allowed: filter, method: .exact).map(\.id))
                let approximate = index.search(query, top: 10, allowed: filter)
                #expect(approximate.count == exact.count)
                #expect(approximate.allSatisfy { vectors[$0.id] != nil && (filter?($0.id) ?? true) }, "only live, allowed rows")
                found += approximate.filter { exact.contains($0.id) }.count
                wanted += exact.count
            }
            return Double(found) / Double(wanted)
        }
        let plain = recall()
        #expect(plain >= 0.95, "recall@10 \(plain)")
        let third = recall(filter: { Int($0.dropFirst())! % 3 == 0 })
        #expect(third >= 0.9, "a filter keeping a third walks the graph further: recall@10 \(third)")

        // Rows pointing away from the query are far from every node the walk visits: it finds too few, and the
        // search is done again exactly, so all k come back.
        let query = Self.randomVector(&generator, dimensions: 24)
        let away: (String) -> Bool = { id in vectors[id].map { Self.cosine($0, query) < -0.3 } ?? false }
        let exactAway = index.search(query, top: 10, allowed: away, method: .exact).map(\.id)
        #expect(exactAway.count == 10)
        #expect(index.search(query, top: 10, allowed: away).map(\.id) == exactAway)

        // Replacements and removals: the graph keeps the old slots as waypoints and never returns them.
        for n in stride(from: 0, to: 2_000, by: 4) {
            if n % 8 == 0 {
                index.remove(id: "v\(n)"); vectors["v\(n)"] = nil
            } else {
                let vector = Self.randomVector(&generator, dimensions: 24)
                vectors["v\(n)"] = vector
                index.upsert(id: "v\(n)", vector: vector)
            }
        }
        #expect(index.hasGraph && index.count == vectors.count)
        let updated = recall()
        #expect(updated >= 0.95, "after 500 updates, recall@10 \(updated)")
    }

    @Test("replacing and removing vectors needs no rebuild; compaction keeps results")
    func updates() {
        var generator = SeededGenerator(seed: 9)
        var index = DenseIndex(dimensions: 16)
        var vectors: [String: [Float]] = [:]
        for step in 0..<2_000 {
            let id = "v\(Int.random(in: 0..<50, using: &generator))"
            if step % 5 == 0 {
                index.remove(id: id); vectors[id] = nil
            } else {
                let vector = Self.randomVector(&generator)
                index.upsert(id: id, vector: vector); vectors[id] = vector
            }
        }
        #expect(index.count == vectors.count && index.retiredSlots <= 64 + 1)
        let query = Self.randomVector(&generator)
        let expected = vectors.map { ($0.key, Self.cosine($0.value, query)) }.sorted { $0.1 > $1.1 }.prefix(10).map(\.0)
        #expect(index.search(query, top: 10).map(\.id) == Array(expected))
    }

    @Test("reciprocal rank fusion: weight / (k + rank) summed; a document both lists like wins")
    func fusion() {
        let fused = RankFusion.reciprocal([["a", "b", "c"], ["c", "a", "d"]], k: 60)
        #expect(fused.map(\.id) == ["a", "c", "b", "d"])
        #expect(abs(fused[0].score - (1.0 / 61 + 1.0 / 62)) < 1e-12)
        let weighted = RankFusion.reciprocal([["a", "b"], ["b", "a"]], weights: [1, 3], k: 60)
        #expect(weighted.first?.id == "b")
    }

    @Test("a collection with embeddings needs a vector per document, searches dense and hybrid, and keeps them in its file")
    func collection() async throws {
        var manifest = CollectionManifest(name: "vec", metadataFields: ["year"])
        manifest.embedding = "test-embedder"
        var collection = RetrievalCollection(manifest: manifest, dimensions: 3)
        let documents = [RetrievalDocument(id: "a", text: "bone density", metadata: ["year": .number(2019)]),
                         RetrievalDocument(id: "b", text: "statin therapy", metadata: ["year": .number(2012)]),
                         RetrievalDocument(id: "c", text: "bone marrow", metadata: ["year": .number(2021)])]
        #expect(throws: RetrievalError.self) { try collection.upsert(documents) }
        try collection.upsert(documents, vectors: [[1, 0, 0], [0, 1, 0], [0.7, 0.7, 0]])
        let dense = try collection.searchNow(RetrievalQuery(text: "x", top: 2, mode: .dense, vector: [1, 0.1, 0]))
        #expect(dense.map(\.id) == ["a", "c"])
        let filtered = try collection.searchNow(RetrievalQuery(text: "x", top: 2, mode: .dense, filter: try .parse("year<2020"), vector: [1, 0.1, 0]))
        #expect(filtered.map(\.id) == ["a", "b"], "exact under a filter: both rows that match")
        let hybrid = try collection.searchNow(RetrievalQuery(text: "bone", top: 3, mode: .hybrid, vector: [0, 1, 0]))
        #expect(Set(hybrid.map(\.id)) == ["a", "b", "c"] && hybrid.count == 3)
        #expect(throws: RetrievalError.self) { try collection.searchNow(RetrievalQuery(text: "bone", mode: .dense)) }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-dense-\(UUID().uuidString)")
        let library = RetrievalLibrary(directory: directory)
        try await library.save(collection)
        let loaded = try await library.load("vec")
        #expect(loaded.manifest.embedding == "test-embedder" && loaded.dense?.vector(of: "c") == collection.dense?.vector(of: "c"))
        #expect(try loaded.searchNow(RetrievalQuery(text: "bone", top: 3, mode: .hybrid, vector: [0, 1, 0])) == hybrid)
        var lexicalOnly = RetrievalCollection(manifest: CollectionManifest(name: "lex"))
        try lexicalOnly.upsert(documents)
        #expect(throws: RetrievalError.self) { try lexicalOnly.searchNow(RetrievalQuery(text: "bone", mode: .hybrid, vector: [1, 0, 0])) }
    }
}

@Suite("Relevance measures and fitting fusion")
struct RelevanceTests {
    @Test("nDCG, recall and reciprocal rank by trec_eval's definitions; judgments from BEIR TSV or TREC qrels")
    func measures() throws {
        let judged = ["a": 1, "b": 2, "z": 0]
        // Ranking b, x, a: DCG = 2/log2(2) + 1/log2(4) = 2.5; ideal b, a = 2 + 1/log2(3).
        #expect(abs(Relevance.ndcg(["b", "x", "a"], judgments: judged) - 2.5 / (2 + 1 / log2(3))) < 1e-12)
        #expect(Relevance.ndcg(["x", "y"], judgments: judged) == 0 && Relevance.ndcg([], judgments: [:]) == 0)
        #expect(Relevance.recall(["a", "x"], judgments: judged) == 0.5)
        #expect(Relevance.reciprocalRank(["x", "z", "a"], judgments: judged) == 1.0 / 3, "a grade of 0 is not relevant")
        #expect(try Relevance.judgments("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t2\n") == ["q1": ["d1": 1, "d2": 2]])
        #expect(try Relevance.judgments("q1 0 d1 1\nq2 0 d3 0\n") == ["q1": ["d1": 1], "q2": ["d3": 0]])
        #expect(throws: RetrievalError.self) { try Relevance.judgments("q1\td1\t1\nq1 d2 high\n") }
    }

    @Test("weighted fusion scales each list to 0…1 before weighing; the fitter picks the settings with the best mean nDCG@10")
    func fitting() throws {
        let fused = RankFusion.weighted([[("a", 10), ("b", 5), ("c", 0)], [("c", 0.9), ("a", 0.5)]], weights: [0.5, 0.5])
        #expect(fused.map(\.id) == ["a", "c", "b"] && abs(fused[0].score - (0.5 + 0.5 * 0)) < 1e-12)
        // Lexical says d1, dense says d2; judgments agree with dense, so the fit leans on it.
        var manifest = CollectionManifest(name: "fit")
        manifest.embedding = "test"
        var collection = RetrievalCollection(manifest: manifest, dimensions: 2)
        try collection.upsert([RetrievalDocument(id: "d1", text: "apple apple apple"), RetrievalDocument(id: "d2", text: "apple pear"),
                               RetrievalDocument(id: "d3", text: "pear")], vectors: [[1, 0], [0, 1], [0.6, 0.8]])
        let trials = try FusionFitter.fit(collection, queries: [(text: "apple", vector: [0, 1], judgments: ["d2": 1])])
        #expect(trials.first?.ndcg == 1 && trials.count == 31)
        var best = RetrievalQuery(text: "apple", top: 1, mode: .hybrid, vector: [0, 1])
        best.fusion = trials.first?.settings
        #expect(try collection.searchNow(best).first?.id == "d2")
    }
}

@Suite("Model files that cannot be used")
struct ModelFileTests {
    @Test("a missing model, a vocabulary without its special tokens, or a file that is not safetensors is a clear error")
    func refused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        #expect(throws: RetrievalError.self) { try MiniLMEncoder(directory: directory) }
        try "hello\nworld\n".write(to: directory.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        #expect(throws: RetrievalError.badInput("a WordPiece vocabulary needs [UNK], [CLS] and [SEP]")) { try MiniLMEncoder(directory: directory) }
        let file = directory.appendingPathComponent("model.safetensors")
        try Data("not a tensor file at all".utf8).write(to: file)
        #expect(throws: RetrievalError.self) { try SafeTensors(url: file) }
        #expect(throws: RetrievalError.self) { try SafeTensors(url: directory.appendingPathComponent("absent.safetensors")) }
    }
}

