/// When to try again after a failure: exponential backoff with a ceiling and optional jitter, a bounded number of
/// attempts, and a server's `retry-after` honoured. One policy type for everything that retries (the router, the
/// job worker, the eval runner and the trace writer), so backoff is decided in one place.
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
    /// The longest `retry-after` honoured (default: `maximum`).
    public var maximumRetryAfter: Duration

    public init(maxAttempts: Int, initial: Duration, multiplier: Double = 2, maximum: Duration, jitter: Double = 0,
                maximumRetryAfter: Duration? = nil) {
        self.maxAttempts = max(1, maxAttempts)
        self.initial = initial
        self.multiplier = max(1, multiplier)
        self.maximum = maximum
        self.jitter = min(1, max(0, jitter))
        self.maximumRetryAfter = maximumRetryAfter ?? maximum
    }

    /// How long to wait after attempt number `attempt` (from 1) failed, or nil when no attempt is left.
    /// - Parameter retryAfter: what the other side asked for (a 429's `retry-after`); used when longer than the backoff.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil, random: inout some RandomNumberGenerator) -> Duration? {
        delay(afterAttempt: attempt, retryAfter: retryAfter, fraction: jitter > 0 ? Double.random(in: 0..<1, using: &random) : 0)
    }

    /// ``delay(afterAttempt:retryAfter:random:)`` with the random draw given: `fraction` in [0, 1) picks where in
    /// the jitter band the wait falls (callers that inject randomness, such as the router's tests, pass it).
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil, fraction: Double) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        var growth = 1.0
        for _ in 0..<min(max(attempt - 1, 0), 62) { growth *= multiplier }
        let exponential = growth >= maximum.seconds / max(initial.seconds, 1e-12) ? maximum : initial * growth
        let capped = min(exponential, maximum)
        var wait = jitter > 0 ? capped * ((1 - jitter) + fraction * jitter) : capped
        if let retryAfter { wait = max(wait, min(retryAfter, maximumRetryAfter)) }
        return wait
    }

}
