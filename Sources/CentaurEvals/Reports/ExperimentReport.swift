import CentaurStore
import Foundation

/// Intervals for rates and means, at 95 %.
public enum Interval {
    public static let z = 1.959964

    /// Wilson's score interval for `successes` of `n`: unlike the normal approximation it stays inside 0…1 and is
    /// sound for small n and rates near 0 or 1.
    public static func wilson(_ successes: Int, _ n: Int) -> ClosedRange<Double> {
        guard n > 0 else { return 0...1 }
        let p = Double(successes) / Double(n), n = Double(n), z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z * ((p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()) / (1 + z2 / n)
        return max(0, centre - half)...min(1, centre + half)
    }

    /// Newcombe's interval for the difference of two rates (b − a), from each rate's Wilson interval (method 10).
    public static func rateDifference(_ a: (successes: Int, n: Int), _ b: (successes: Int, n: Int)) -> ClosedRange<Double> {
        let pa = a.n > 0 ? Double(a.successes) / Double(a.n) : 0, pb = b.n > 0 ? Double(b.successes) / Double(b.n) : 0
        let wa = wilson(a.successes, a.n), wb = wilson(b.successes, b.n)
        let d = pb - pa
        let low = d - ((pb - wb.lowerBound) * (pb - wb.lowerBound) + (wa.upperBound - pa) * (wa.upperBound - pa)).squareRoot()
        let high = d + ((wb.upperBound - pb) * (wb.upperBound - pb) + (pa - wa.lowerBound) * (pa - wa.lowerBound)).squareRoot()
        return low...high
    }

    /// The mean and its normal-approximation interval.
    public static func mean(_ values: [Double]) -> (mean: Double, interval: ClosedRange<Double>) {
        guard !values.isEmpty else { return (0, 0...0) }
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, mean...mean) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        let half = z * (variance / Double(values.count)).squareRoot()
        return (mean, (mean - half)...(mean + half))
    }

    /// Welch's interval for the difference of two means (b − a), normal approximation.
    public static func meanDifference(_ a: [Double], _ b: [Double]) -> ClosedRange<Double> {
        func stats(_ v: [Double]) -> (mean: Double, varianceOfMean: Double) {
            guard !v.isEmpty else { return (0, 0) }
            let m = v.reduce(0, +) / Double(v.count)
            guard v.count > 1 else { return (m, 0) }
            return (m, v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1) / Double(v.count))
        }
        let x = stats(a), y = stats(b)
        let half = z * (x.varianceOfMean + y.varianceOfMean).squareRoot()
        return (y.mean - x.mean - half)...(y.mean - x.mean + half)
    }
}

/// How a function's variants are doing, from their traces: per variant, requests, the success rate, cost and latency,
/// and each variant's difference from the baseline variant with a 95 % interval (significant when it excludes 0).
public struct ExperimentReport: Sendable {
    public struct VariantStats: Sendable {
        public var variant: String
        public var requests: Int
        public var succeeded: Int
        /// Wilson's 95 % interval of the success rate.
        public var successInterval: ClosedRange<Double> { Interval.wilson(succeeded, requests) }
        /// Per request (retries and fallbacks included); requests of unknown price count as 0.
        public var costs: [Double]
        public var latenciesMS: [Double]
        public var successRate: Double { requests == 0 ? 0 : Double(succeeded) / Double(requests) }
        public var meanCost: (mean: Double, interval: ClosedRange<Double>) { Interval.mean(costs) }
        /// `p` from 0 to 100, as ``EvalSummary`` computes it.
        public func latencyPercentile(_ p: Double) -> Double { EvalSummary.percentile(latenciesMS, p) }
    }

    public struct Difference: Sendable {
        public var variant: String
        public var successRate: ClosedRange<Double>
        public var cost: ClosedRange<Double>
        public var latencyMS: ClosedRange<Double>
        public var significantSuccess: Bool { !successRate.contains(0) }
    }

    public var function: String
    public var baseline: String
    public var variants: [VariantStats]
    public var differences: [Difference]

    /// Builds the report from the function's traces (every attempt of every request tagged `function`).
    public static func make(function: String, traces: [TraceRecord], baseline: String? = nil) -> ExperimentReport {
        var byVariant: [String: [String: [TraceRecord]]] = [:]
        for trace in traces where trace.tags["function"] == function {
            byVariant[trace.tags["variant"] ?? "(none)", default: [:]][trace.requestID, default: []].append(trace)
        }
        let variants = byVariant.keys.sorted().map { name -> VariantStats in
            let requests = byVariant[name]!.values
            let succeeded = requests.filter { $0.contains { $0.status == .ok } }.count
            return VariantStats(
                variant: name, requests: requests.count, succeeded: succeeded,
                costs: requests.map { $0.reduce(0) { $0 + ($1.costUSD ?? 0) } },
                latenciesMS: requests.map { attempts in
                    let start = attempts.map(\.startedAt).min()!, end = attempts.map(\.endedAt).max()!
                    return end.timeIntervalSince(start) * 1000
                })
        }
        let base = baseline.flatMap { name in variants.first { $0.variant == name } } ?? variants.first
        let differences = variants.filter { $0.variant != base?.variant }.compactMap { other -> Difference? in
            guard let base else { return nil }
            return Difference(
                variant: other.variant,
                successRate: Interval.rateDifference((base.succeeded, base.requests), (other.succeeded, other.requests)),
                cost: Interval.meanDifference(base.costs, other.costs),
                latencyMS: Interval.meanDifference(base.latenciesMS, other.latenciesMS))
        }
        return ExperimentReport(function: function, baseline: base?.variant ?? "", variants: variants, differences: differences)
    }

    /// The table `centaur experiments status` prints.
    public var text: String {
        guard !variants.isEmpty else { return "no traces of function \(function) yet" }
        var lines = ["function \(function)", "",
                     "variant      requests  success (95 % CI)         cost/request (95 % CI)            p50 ms   p95 ms"]
        for v in variants {
            let cost = v.meanCost
            lines.append(v.variant.padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: " %8d  %5.1f%% (%5.1f–%5.1f)   $%.6f ($%.6f–%.6f)  %7.0f  %7.0f", v.requests, v.successRate * 100,
                         v.successInterval.lowerBound * 100, v.successInterval.upperBound * 100, cost.mean, cost.interval.lowerBound,
                         cost.interval.upperBound, v.latencyPercentile(50), v.latencyPercentile(95)))
        }
        if !differences.isEmpty { lines += ["", "against \(baseline) (95 % intervals of the difference):"] }
        for d in differences {
            lines.append(String(format: "  %@: success %+.1f to %+.1f points%@; cost %+.6f to %+.6f $; latency %+.0f to %+.0f ms", d.variant,
                                d.successRate.lowerBound * 100, d.successRate.upperBound * 100, d.significantSuccess ? " (significant)" : "",
                                d.cost.lowerBound, d.cost.upperBound, d.latencyMS.lowerBound, d.latencyMS.upperBound))
        }
        return lines.joined(separator: "\n")
    }
}
