import Benchmark
import CentaurCore
import CentaurRetrieval
import Foundation

/// SciFact's corpus (title + " " + text) and queries, read from CENTAUR_BENCH_SCIFACT.
private func load(_ folder: String) -> (documents: [RetrievalDocument], queries: [String]) {
    func lines(_ name: String) -> [[String: JSONValue]] {
        let data = FileManager.default.contents(atPath: folder + "/" + name) ?? Data()
        return data.split(separator: 10).compactMap { line in
            guard case .object(let object) = try? JSONDecoder().decode(JSONValue.self, from: Data(line)) else { return nil }
            return object
        }
    }
    let documents = lines("corpus.jsonl").compactMap { record -> RetrievalDocument? in
        guard case .string(let id)? = record["_id"] else { return nil }
        var text = ""
        if case .string(let title)? = record["title"] { text = title }
        if case .string(let body)? = record["text"] { text += " " + body }
        return RetrievalDocument(id: id, text: text)
    }
    let queries = lines("queries.jsonl").compactMap { record -> String? in
        if case .string(let text)? = record["text"] { return text }
        return nil
    }
    return (documents, queries)
}

/// 20,000 unit vectors of 384 dimensions in 200 clusters (embeddings cluster by topic; uniform random vectors are the
/// worst case of any graph index and no model's output), and 200 queries drawn the same way.
private func clustered(count: Int, seed: UInt64) -> [[Float]] {
    func uniform(_ random: inout SplitMix64) -> Float { Float(random.next() >> 40) / Float(1 << 24) * 2 - 1 }
    // The same 200 centres for rows and queries; each vector a centre plus noise from its own seed.
    var centreRandom = SplitMix64(seed: 42), random = SplitMix64(seed: seed)
    let centres = (0..<200).map { _ in (0..<384).map { _ in uniform(&centreRandom) } }
    return (0..<count).map { _ in
        let centre = centres[Int(abs(uniform(&random)) * 199.99)]
        return centre.map { $0 + 0.6 * uniform(&random) }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(5), maxIterations: 100_000)
    // Dense search over 20,000 rows: every row scored (one sgemv) against the HNSW graph, top 10.
    let rows = clustered(count: 20_000, seed: 7), probes = clustered(count: 200, seed: 99)
    var exact = DenseIndex(dimensions: 384)
    for (n, row) in rows.enumerated() { exact.upsert(id: "r\(n)", vector: row) }
    var graph = exact
    let building = ContinuousClock.now
    graph.buildGraph()
    let built = ContinuousClock.now - building
    var found = 0
    for probe in probes {
        let truth = Set(exact.search(probe, top: 10, method: .exact).map(\.id))
        found += graph.search(probe, top: 10, method: .approximate).filter { truth.contains($0.id) }.count
    }
    print("dense: HNSW over 20,000 × 384 built in \(built); recall@10 against exact \(Double(found) / Double(probes.count * 10))")
    let (exactIndex, graphIndex) = (exact, graph)
    Benchmark("dense top 10 of 20,000, exact") { benchmark in
        var n = 0
        for _ in benchmark.scaledIterations {
            blackHole(exactIndex.search(probes[n % probes.count], top: 10, method: .exact))
            n += 1
        }
    }
    Benchmark("dense top 10 of 20,000, HNSW") { benchmark in
        var n = 0
        for _ in benchmark.scaledIterations {
            blackHole(graphIndex.search(probes[n % probes.count], top: 10, method: .approximate))
            n += 1
        }
    }

    guard let folder = ProcessInfo.processInfo.environment["CENTAUR_BENCH_SCIFACT"] else {
        print("RetrievalBenchmarks: set CENTAUR_BENCH_SCIFACT to the SciFact folder (bench/retrieval/run.sh does)")
        return
    }
    let (documents, queries) = load(folder)

    var fresh = RetrievalCollection(manifest: CollectionManifest(name: "fresh"))
    try! fresh.upsert(documents)
    // The same documents after 10,000 single-document updates: each replaces a random document with its own text again,
    // so the final content equals the fresh index's and only the index's history differs.
    var updated = RetrievalCollection(manifest: CollectionManifest(name: "updated"))
    try! updated.upsert(documents)
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<10_000 { try! updated.upsert([documents.randomElement(using: &generator)!]) }
    let (freshIndex, updatedIndex) = (fresh, updated)

    // One query per iteration, going round SciFact's 1,109 queries; compare the p95 of the two.
    Benchmark("query top 100, fresh index") { benchmark in
        var n = 0
        for _ in benchmark.scaledIterations {
            blackHole(try freshIndex.searchNow(RetrievalQuery(text: queries[n % queries.count], top: 100)))
            n += 1
        }
    }
    Benchmark("query top 100, after 10,000 single-document updates") { benchmark in
        var n = 0
        for _ in benchmark.scaledIterations {
            blackHole(try updatedIndex.searchNow(RetrievalQuery(text: queries[n % queries.count], top: 100)))
            n += 1
        }
    }
    Benchmark("one document update (replace)") { benchmark in
        var index = updatedIndex
        for _ in benchmark.scaledIterations {
            try index.upsert([documents.randomElement(using: &generator)!])
        }
        blackHole(index.count)
    }
}
