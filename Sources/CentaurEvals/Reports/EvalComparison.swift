import CentaurStore
import Foundation

/// Two runs side by side: pass rate per provider and the cases that passed before and fail now.
public struct EvalComparison: Sendable {
    public var text: String
    /// Baseline pass rate minus candidate pass rate (positive: worse).
    public var passRateDrop: Double
    public var regressions: [String]

    public static func compare(store: any EvalStore, baseline: String, candidate: String) async throws -> EvalComparison {
        guard try await store.run(id: baseline) != nil else { throw EvalSuiteError("no run \(baseline) (centaur eval list shows the runs)") }
        guard try await store.run(id: candidate) != nil else { throw EvalSuiteError("no run \(candidate) (centaur eval list shows the runs)") }
        let a = try await store.results(runID: baseline), b = try await store.results(runID: candidate)
        func rate(_ results: [EvalResultRecord]) -> Double { results.isEmpty ? 0 : Double(results.filter(\.success).count) / Double(results.count) }
        var lines = ["provider  baseline  candidate  change"]
        for provider in Array(Set(a.map(\.provider)).union(b.map(\.provider))).sorted() {
            let x = rate(a.filter { $0.provider == provider }), y = rate(b.filter { $0.provider == provider })
            lines.append(String(format: "%@  %.1f%%  %.1f%%  %+.1f", provider, x * 100, y * 100, (y - x) * 100))
        }
        let before = Dictionary(a.map { ($0.caseID, $0) }, uniquingKeysWith: { first, _ in first })
        let regressions = b.filter { !$0.success && before[$0.caseID]?.success == true }.map { "\($0.caseID) (\($0.provider))" }
        let fixed = b.filter { $0.success && before[$0.caseID]?.success == false }.count
        lines.append(String(format: "overall  %.1f%%  %.1f%%  %+.1f", rate(a) * 100, rate(b) * 100, (rate(b) - rate(a)) * 100))
        lines.append("\(regressions.count) regressed, \(fixed) fixed")
        lines += regressions.prefix(50).map { "  regressed: \($0)" }
        return EvalComparison(text: lines.joined(separator: "\n"), passRateDrop: rate(a) - rate(b), regressions: regressions)
    }
}
