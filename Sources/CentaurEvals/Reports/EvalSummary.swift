import CentaurCore
import Foundation

/// Per provider: what a run says about it.
public struct EvalSummary: Sendable, Hashable, Codable {
    public struct FieldScore: Sendable, Hashable, Codable {
        public var field: String
        public var truePositives: Int
        public var falsePositives: Int
        public var falseNegatives: Int
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var accuracy: Double
        public var total: Int

        enum CodingKeys: String, CodingKey {
            case field, precision, recall, f1, accuracy, total
            case truePositives = "tp", falsePositives = "fp", falseNegatives = "fn"
        }
    }

    public struct Confusion: Sendable, Hashable, Codable {
        public var field: String
        public var expected: String
        public var actual: String
        public var count: Int
    }

    public var provider: String
    public var cases: Int
    public var passed: Int
    public var failed: Int
    public var errors: Int
    public var passRate: Double
    /// Share of fields right across `fields` assertions (nil when the suite has none).
    public var fieldAccuracy: Double?
    public var totalCostUSD: Double
    public var costPerCaseUSD: Double
    public var inputTokens: Int
    public var outputTokens: Int
    public var latencyP50MS: Double
    public var latencyP95MS: Double
    public var fields: [FieldScore]
    public var confusions: [Confusion]

    enum CodingKeys: String, CodingKey {
        case provider, cases, passed, failed, errors, fields, confusions
        case passRate = "pass_rate", fieldAccuracy = "field_accuracy", totalCostUSD = "total_cost_usd", costPerCaseUSD = "cost_per_case_usd"
        case inputTokens = "input_tokens", outputTokens = "output_tokens", latencyP50MS = "latency_p50_ms", latencyP95MS = "latency_p95_ms"
    }

    public static func perProvider(_ results: [CaseResult]) -> [EvalSummary] {
        var order: [String] = []
        for result in results where !order.contains(result.provider) { order.append(result.provider) }
        return order.map { provider in summarize(provider, results.filter { $0.provider == provider }) }
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func summarize(_ provider: String, _ results: [CaseResult]) -> EvalSummary {
        let errors = results.filter { $0.error != nil }.count
        let passed = results.filter(\.success).count
        let cost = results.compactMap(\.costUSD).reduce(0, +)
        let comparisons = results.flatMap { $0.assertions.flatMap { $0.fields ?? [] } }
        var byField: [String: (tp: Int, fp: Int, fn: Int, right: Int, total: Int)] = [:]
        var confusionCounts: [Confusion: Int] = [:]
        for c in comparisons {
            var entry = byField[c.field] ?? (0, 0, 0, 0, 0)
            entry.total += 1
            switch c.outcome {
            case .match:
                entry.right += 1
                if c.expected != .null { entry.tp += 1 }
            case .wrong:
                entry.fp += 1; entry.fn += 1
                confusionCounts[Confusion(field: c.field, expected: FieldScoring.text(c.expected), actual: FieldScoring.text(c.actual), count: 0), default: 0] += 1
            case .missing:
                entry.fn += 1
                confusionCounts[Confusion(field: c.field, expected: FieldScoring.text(c.expected), actual: "(none)", count: 0), default: 0] += 1
            case .spurious:
                entry.fp += 1
            }
            byField[c.field] = entry
        }
        let fields = byField.keys.sorted().map { name -> FieldScore in
            let e = byField[name]!
            let p = e.tp + e.fp == 0 ? 1 : Double(e.tp) / Double(e.tp + e.fp)
            let r = e.tp + e.fn == 0 ? 1 : Double(e.tp) / Double(e.tp + e.fn)
            return FieldScore(field: name, truePositives: e.tp, falsePositives: e.fp, falseNegatives: e.fn, precision: p, recall: r,
                              f1: p + r == 0 ? 0 : 2 * p * r / (p + r), accuracy: Double(e.right) / Double(max(1, e.total)), total: e.total)
        }
        let confusions = confusionCounts.map { key, count in Confusion(field: key.field, expected: key.expected, actual: key.actual, count: count) }
            .sorted { ($0.count, $1.field) > ($1.count, $0.field) }.prefix(10)
        let latencies = results.filter { $0.error == nil }.map(\.latencyMS)
        return EvalSummary(
            provider: provider, cases: results.count, passed: passed, failed: results.count - passed - errors, errors: errors,
            passRate: results.isEmpty ? 0 : Double(passed) / Double(results.count),
            fieldAccuracy: comparisons.isEmpty ? nil : Double(comparisons.filter { $0.outcome == .match }.count) / Double(comparisons.count),
            totalCostUSD: cost, costPerCaseUSD: results.isEmpty ? 0 : cost / Double(results.count),
            inputTokens: results.reduce(0) { $0 + $1.inputTokens }, outputTokens: results.reduce(0) { $0 + $1.outputTokens },
            latencyP50MS: percentile(latencies, 50), latencyP95MS: percentile(latencies, 95), fields: fields, confusions: Array(confusions))
    }
}
