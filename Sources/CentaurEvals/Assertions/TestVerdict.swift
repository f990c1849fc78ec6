import Foundation

/// A test's verdict from its assertions, as promptfoo defines it: the score is the weighted mean of the
/// assertion scores; with a test `threshold` the test passes when the score reaches it, otherwise only when every
/// assertion passes. Weight 0 assertions are reported but neither score nor fail.
public enum TestVerdict {
    public static func combine(_ results: [AssertionResult], threshold: Double?) -> (pass: Bool, score: Double) {
        let weighted = results.filter { $0.weight > 0 }
        let total = weighted.reduce(0) { $0 + $1.weight }
        let score = total > 0 ? weighted.reduce(0) { $0 + $1.score * $1.weight } / total : 1
        if let threshold { return (score >= threshold, score) }
        return (weighted.allSatisfy(\.pass), score)
    }
}
