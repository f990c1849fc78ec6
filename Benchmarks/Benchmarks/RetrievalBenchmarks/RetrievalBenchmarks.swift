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

let benchmarks: @Sendable () -> Void = {
    guard let folder = ProcessInfo.processInfo.environment["CENTAUR_BENCH_SCIFACT"] else {
        print("RetrievalBenchmarks: set CENTAUR_BENCH_SCIFACT to the SciFact folder (bench/retrieval/run.sh does)")
        return
    }
    let (documents, queries) = load(folder)
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(5), maxIterations: 100_000)

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
