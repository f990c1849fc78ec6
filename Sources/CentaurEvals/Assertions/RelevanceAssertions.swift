import CentaurCore
import CentaurRetrieval
import Foundation

/// `ndcg`, `recall` and `mrr` (optionally `@K`: `ndcg@10`, `recall@20`, `mrr@10`) over a ranked output — a JSON array
/// of ids, or of objects with an `id` (what the `centaur:retrieval:INDEX` provider answers) — against the judged
/// documents in `value`: a list of relevant ids (grade 1 each) or an object of id → grade. Passes when the measure is
/// at least `threshold` (default 1 for recall, 0.5 otherwise). Gate a retrieval change in CI like any other change.
enum RelevanceAssertion {
    /// The measure and depth of a type such as `ndcg@10`; nil for any other type.
    static func parse(_ type: String) -> (measure: String, depth: Int)? {
        let parts = type.split(separator: "@", maxSplits: 1).map(String.init)
        guard let measure = parts.first, ["ndcg", "recall", "mrr"].contains(measure) else { return nil }
        if parts.count == 1 { return (measure, measure == "recall" ? 100 : 10) }
        guard let depth = Int(parts[1]), depth >= 1 else { return nil }
        return (measure, depth)
    }

    static func evaluate(_ spec: EvalSuite.AssertionSpec, value: JSONValue?, output: String) -> AssertionResult {
        let (measure, depth) = parse(spec.type)!
        func result(_ pass: Bool, _ score: Double, _ reason: String) -> AssertionResult {
            AssertionResult(type: spec.displayName, pass: pass, score: score, weight: spec.weight, reason: reason)
        }
        var judgments: [String: Int] = [:]
        switch value {
        case .array(let items)?: for item in items { if let id = item.stringValue { judgments[id] = 1 } }
        case .object(let grades)?: for (id, grade) in grades { if case .number(let n) = grade { judgments[id] = Int(n) } }
        case .string(let list)?: for id in list.split(separator: ",") { judgments[id.trimmingCharacters(in: .whitespaces)] = 1 }
        default: break
        }
        guard judgments.values.contains(where: { $0 > 0 }) else {
            return result(false, 0, "\(spec.type) needs the relevant documents in value: a list of ids or {id: grade}")
        }
        guard let ranking = ranking(output) else { return result(false, 0, "the output is not a ranked list of ids (a JSON array)") }
        let score: Double
        switch measure {
        case "ndcg": score = Relevance.ndcg(ranking, judgments: judgments, depth: depth)
        case "recall": score = Relevance.recall(ranking, judgments: judgments, depth: depth)
        default: score = Relevance.reciprocalRank(ranking, judgments: judgments, depth: depth)
        }
        let threshold = spec.threshold ?? (measure == "recall" ? 1 : 0.5)
        return result(score >= threshold, score, String(format: "%@@%d = %.4f (at least %.4f)", measure, depth, score, threshold))
    }

    /// Ids in rank order from a JSON array of strings or of objects with `id`.
    static func ranking(_ output: String) -> [String]? {
        guard case .array(let items)? = try? JSONValue(parsing: output.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return items.compactMap { $0.stringValue ?? $0["id"]?.stringValue }
    }
}
