import Foundation

/// Relevance measures over judged queries (trec_eval's definitions): graded gain, log₂ discount, an ideal ranking
/// from the query's own judgments; a judged query with no results scores 0.
public enum Relevance {
    /// nDCG at `depth` of one ranking.
    public static func ndcg(_ ranking: [String], judgments: [String: Int], depth: Int = 10) -> Double {
        let gains = judgments.values.filter { $0 > 0 }.sorted(by: >)
        guard !gains.isEmpty else { return 0 }
        var dcg = 0.0
        for (index, id) in ranking.prefix(depth).enumerated() {
            if let gain = judgments[id], gain > 0 { dcg += Double(gain) / log2(Double(index + 2)) }
        }
        let ideal = gains.prefix(depth).enumerated().reduce(0.0) { $0 + Double($1.element) / log2(Double($1.offset + 2)) }
        return dcg / ideal
    }

    /// The share of relevant documents found in the first `depth`.
    public static func recall(_ ranking: [String], judgments: [String: Int], depth: Int = 100) -> Double {
        let relevant = Set(judgments.filter { $0.value > 0 }.keys)
        guard !relevant.isEmpty else { return 0 }
        return Double(ranking.prefix(depth).filter(relevant.contains).count) / Double(relevant.count)
    }

    /// 1 / the rank of the first relevant document within `depth`, else 0.
    public static func reciprocalRank(_ ranking: [String], judgments: [String: Int], depth: Int = 10) -> Double {
        for (index, id) in ranking.prefix(depth).enumerated() where (judgments[id] ?? 0) > 0 { return 1 / Double(index + 1) }
        return 0
    }

    /// Judgments from a BEIR TSV (`query-id corpus-id score`, with a header) or a TREC qrels file (`qid iter docid rel`).
    public static func judgments(_ text: String) throws -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init)
            if fields.isEmpty { continue }
            if number == 0, fields.count == 3, Int(fields[2]) == nil { continue }  // the BEIR header
            switch fields.count {
            case 3:
                guard let grade = Int(fields[2]) else { throw RetrievalError.badInput("judgments line \(number + 1): the grade is not a whole number") }
                result[fields[0], default: [:]][fields[1]] = grade
            case 4:
                guard let grade = Int(fields[3]) else { throw RetrievalError.badInput("judgments line \(number + 1): the grade is not a whole number") }
                result[fields[0], default: [:]][fields[2]] = grade
            default:
                throw RetrievalError.badInput("judgments line \(number + 1): expected QUERY DOC GRADE or QUERY ITER DOC GRADE")
            }
        }
        return result
    }
}

/// Chooses hybrid fusion settings by mean nDCG@10 over judged queries: weighted fusion with lexical weights 0, 0.1, …,
/// 1, and reciprocal rank fusion with k ∈ {5, 10, 20, 60} and dense weights ∈ {0.5, 0.8, 1, 1.25, 2}.
public enum FusionFitter {
    public struct Trial: Sendable {
        public var settings: FusionSettings
        public var ndcg: Double
    }

    /// Every candidate's mean nDCG@10, best first. `queries` pairs each judged query's text and vector with its judgments.
    public static func fit(_ collection: RetrievalCollection, queries: [(text: String, vector: [Float], judgments: [String: Int])],
                           depth: Int = 100) throws -> [Trial] {
        var candidates: [FusionSettings] = (0...10).map {
            FusionSettings(method: .weighted, lexicalWeight: Double($0) / 10, denseWeight: 1 - Double($0) / 10, depth: depth)
        }
        for k in [5.0, 10, 20, 60] {
            for dense in [0.5, 0.8, 1, 1.25, 2] { candidates.append(FusionSettings(method: .rrf, lexicalWeight: 1, denseWeight: dense, k: k, depth: depth)) }
        }
        var trials: [Trial] = []
        for settings in candidates {
            var total = 0.0
            for query in queries {
                var search = RetrievalQuery(text: query.text, top: 10, mode: .hybrid, vector: query.vector)
                search.fusion = settings
                total += Relevance.ndcg(try collection.searchNow(search).map(\.id), judgments: query.judgments)
            }
            trials.append(Trial(settings: settings, ndcg: queries.isEmpty ? 0 : total / Double(queries.count)))
        }
        return trials.sorted { $0.ndcg > $1.ndcg }
    }
}
