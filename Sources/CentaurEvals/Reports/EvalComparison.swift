import CentaurCore
import CentaurStore
import Foundation

/// Two runs of the same suite side by side, as a gate CI can trust: the pass rate overall, per provider and per case,
/// and field accuracy per extracted field (from the `fields` assertion), each compared on its own. A provider falling
/// from 100 % to 0 % fails the gate even when another provider's gain hides it in the overall rate.
public struct EvalComparison: Sendable {
    /// One measure in both runs.
    public struct Change: Sendable, Hashable {
        /// `overall`, `provider P`, `field F` or `case C (P)`.
        public var subject: String
        public var baseline: Double
        public var candidate: Double
        /// Baseline minus candidate (positive: worse).
        public var drop: Double { baseline - candidate }
    }

    public var baselineID: String
    public var candidateID: String
    public var overall: Change
    public var providers: [Change]
    public var fields: [Change]
    /// Cases (per provider; repeats pooled) whose pass rate changed.
    public var cases: [Change]

    /// Baseline pass rate minus candidate pass rate (positive: worse).
    public var passRateDrop: Double { overall.drop }
    /// The cases that passed before and fail now.
    public var regressions: [String] { cases.filter { $0.drop > 0 }.map(\.subject) }

    /// Every measure that dropped by more than `maxDrop` (0…1), worst first: the gate fails when any does.
    public func violations(maxDrop: Double) -> [Change] {
        let all = [overall] + providers + fields + cases
        // A tolerance for the rounding of rates, so that `--max-drop 0` never fails on equal runs.
        return all.filter { $0.drop > maxDrop + 1e-9 }.sorted { $0.drop != $1.drop ? $0.drop > $1.drop : $0.subject < $1.subject }
    }

    public static func compare(store: any EvalStore, baseline: String, candidate: String) async throws -> EvalComparison {
        guard let a = try await store.run(id: baseline) else { throw EvalSuiteError("no run \(baseline) (centaur eval list shows the runs)") }
        guard let b = try await store.run(id: candidate) else { throw EvalSuiteError("no run \(candidate) (centaur eval list shows the runs)") }
        guard a.suite == b.suite else {
            throw EvalSuiteError("run \(baseline) is of suite \(a.suite) and run \(candidate) of \(b.suite): only runs of one suite compare")
        }
        return compare(baseline: try await store.results(runID: baseline), candidate: try await store.results(runID: candidate),
                       baselineID: baseline, candidateID: candidate)
    }

    /// The comparison of two runs' stored results.
    public static func compare(baseline a: [EvalResultRecord], candidate b: [EvalResultRecord], baselineID: String, candidateID: String) -> EvalComparison {
        func rate(_ results: [EvalResultRecord]) -> Double { results.isEmpty ? 0 : Double(results.filter(\.success).count) / Double(results.count) }
        let providers = Set(a.map(\.provider)).union(b.map(\.provider)).sorted().map { provider in
            Change(subject: "provider \(provider)", baseline: rate(a.filter { $0.provider == provider }), candidate: rate(b.filter { $0.provider == provider }))
        }
        // A case present in one run only is no regression of the other (a suite edited between runs is refused above).
        // The runner's case ids end in the repeat (`t0-p0-m1-r2`): the repeats of one case pool into one rate.
        func key(_ record: EvalResultRecord) -> String {
            var parts = record.caseID.split(separator: "-", omittingEmptySubsequences: false)
            if parts.count > 1, let last = parts.last, last.count > 1, last.first == "r", last.dropFirst().allSatisfy(\.isNumber) { parts.removeLast() }
            return "\(parts.joined(separator: "-")) (\(record.provider))"
        }
        let before = Dictionary(grouping: a, by: key), after = Dictionary(grouping: b, by: key)
        let cases = before.keys.filter { after[$0] != nil }.sorted().compactMap { key -> Change? in
            let change = Change(subject: "case \(key)", baseline: rate(before[key]!), candidate: rate(after[key]!))
            return change.baseline == change.candidate ? nil : change
        }
        let fieldsBefore = fieldAccuracy(a), fieldsAfter = fieldAccuracy(b)
        let fields = Set(fieldsBefore.keys).intersection(fieldsAfter.keys).sorted().map {
            Change(subject: "field \($0)", baseline: fieldsBefore[$0]!, candidate: fieldsAfter[$0]!)
        }
        return EvalComparison(baselineID: baselineID, candidateID: candidateID, overall: Change(subject: "overall", baseline: rate(a), candidate: rate(b)),
                              providers: providers, fields: fields, cases: cases)
    }

    /// Per field, the share of comparisons that matched, over every result's `fields` assertions.
    static func fieldAccuracy(_ results: [EvalResultRecord]) -> [String: Double] {
        let decoder = JSONDecoder()
        var counts: [String: (matched: Int, total: Int)] = [:]
        for record in results {
            guard let result = try? decoder.decode(CaseResult.self, from: Data(record.detail.utf8)) else { continue }
            for comparison in result.assertions.compactMap(\.fields).joined() {
                counts[comparison.field, default: (0, 0)].total += 1
                if comparison.outcome == .match { counts[comparison.field, default: (0, 0)].matched += 1 }
            }
        }
        return counts.mapValues { Double($0.matched) / Double(max($0.total, 1)) }
    }

    /// The table `centaur eval compare` prints.
    public var text: String {
        var lines = ["\(baselineID) → \(candidateID)", "", "                      baseline  candidate   change"]
        func row(_ change: Change) -> String {
            let subject = change.subject.count > 20 ? String(change.subject.prefix(19)) + "…" : change.subject
            return subject.padding(toLength: 20, withPad: " ", startingAt: 0)
                + String(format: "  %7.1f%%  %8.1f%%  %+6.1f", change.baseline * 100, change.candidate * 100, -change.drop * 100)
        }
        lines += providers.map(row)
        if !fields.isEmpty { lines.append(""); lines += fields.map(row) }
        lines.append("")
        lines.append(row(overall))
        let worse = cases.filter { $0.drop > 0 }, better = cases.filter { $0.drop < 0 }
        lines.append("\(worse.count) cases regressed, \(better.count) improved")
        lines += worse.prefix(50).map { String(format: "  regressed: %@ (%.0f%% → %.0f%%)", $0.subject.dropFirst(5).description, $0.baseline * 100, $0.candidate * 100) }
        if worse.count > 50 { lines.append("  … and \(worse.count - 50) more") }
        return lines.joined(separator: "\n")
    }
}
