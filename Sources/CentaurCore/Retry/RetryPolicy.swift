/// When to try again after a failure: exponential backoff with a ceiling and optional jitter, a bounded number of
/// attempts, and a server's `retry-after` honoured. One policy type for everything that retries (background jobs
/// today; the router, eval runner and trace writer are to take it too), so backoff is decided in one place.
///
/// ```swift
/// let policy = RetryPolicy(maxAttempts: 4, initial: .seconds(2), maximum: .seconds(60))
/// var random = SystemRandomNumberGenerator()
/// if let wait = policy.delay(afterAttempt: job.attempts, random: &random) { … retry after `wait` … } else { … give up … }
/// ```
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included; after the last one fails, ``delay(afterAttempt:retryAfter:random:)`` is nil.
    public var maxAttempts: Int
    /// The wait after the first failed attempt; each later wait is `multiplier` times the one before.
    public var initial: Duration
    public var multiplier: Double
    /// No wait is longer than this (a `retry-after` is capped too).
    public var maximum: Duration
    /// 0 waits exactly; 0.5 waits between half and all of the computed delay ("equal jitter"), spreading retries
    /// of many clients that failed together.
    public var jitter: Double

    public init(maxAttempts: Int, initial: Duration, multiplier: Double = 2, maximum: Duration, jitter: Double = 0) {
        self.maxAttempts = max(1, maxAttempts)
        self.initial = initial
        self.multiplier = max(1, multiplier)
        self.maximum = maximum
        self.jitter = min(1, max(0, jitter))
    }

    /// How long to wait after attempt number `attempt` (from 1) failed, or nil when no attempt is left.
    /// - Parameter retryAfter: what the other side asked for (a 429's `retry-after`); used when longer than the backoff.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil, random: inout some RandomNumberGenerator) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        let exponent = Double(max(0, attempt - 1))
        let seconds = min(Self.seconds(maximum), Self.seconds(initial) * pow(multiplier, exponent))
        var wait = seconds
        if jitter > 0 { wait = seconds * (1 - jitter) + Double.random(in: 0...(seconds * jitter), using: &random) }
        if let retryAfter { wait = max(wait, min(Self.seconds(maximum), Self.seconds(retryAfter))) }
        return .milliseconds(Int64((wait * 1000).rounded()))
    }

    /// A duration in seconds.
    public static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// `x` to the power `y` for `y` ≥ 0, without Foundation.
    private func pow(_ x: Double, _ y: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(y) { result *= x }
        return result
    }
}
