import CentaurCore
import Foundation

/// A model alias served by an ordered list of targets: the first is tried first, the rest are fallbacks.
/// With weights, the order is drawn at random in proportion to the weights for each request (load balancing),
/// and the remaining targets still serve as fallbacks.
public struct Route: Sendable, Hashable {
    public struct Target: Sendable, Hashable {
        /// A configured model name.
        public var model: String
        public var weight: Double?

        public init(model: String, weight: Double? = nil) {
            self.model = model
            self.weight = weight
        }
    }

    public var name: String
    public var targets: [Target]

    public init(name: String, targets: [Target]) {
        self.name = name
        self.targets = targets
    }

    /// The order to try targets in, given a source of uniform random numbers in [0, 1).
    public func order(random: () -> Double) -> [Target] {
        guard targets.contains(where: { $0.weight != nil }) else { return targets }
        var remaining = targets
        var ordered: [Target] = []
        while !remaining.isEmpty {
            let total = remaining.reduce(0) { $0 + max(0, $1.weight ?? 0) }
            guard total > 0 else {
                ordered += remaining
                break
            }
            var pick = random() * total
            var index = remaining.count - 1
            for (i, target) in remaining.enumerated() {
                pick -= max(0, target.weight ?? 0)
                if pick < 0 {
                    index = i
                    break
                }
            }
            ordered.append(remaining.remove(at: index))
        }
        return ordered
    }
}

/// How hard the router tries.
public struct RoutingPolicy: Sendable, Hashable {
    /// Tries per target (1 = no retries).
    public var attemptsPerTarget: Int
    /// Tries per request across all targets.
    public var maxAttempts: Int
    /// Backoff before retry `n` is `baseBackoff × 2ⁿ⁻¹`, capped at `maxBackoff`, scaled by a random factor in [0.5, 1).
    public var baseBackoff: Duration
    public var maxBackoff: Duration
    /// A `retry-after` longer than this moves on to the next target instead of waiting.
    public var maxRetryAfter: Duration
    public var breakerThreshold: Int
    public var breakerCooldown: Duration

    public init(
        attemptsPerTarget: Int = 2, maxAttempts: Int = 6, baseBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(5), maxRetryAfter: Duration = .seconds(10),
        breakerThreshold: Int = 5, breakerCooldown: Duration = .seconds(30)
    ) {
        self.attemptsPerTarget = max(1, attemptsPerTarget)
        self.maxAttempts = max(1, maxAttempts)
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
        self.maxRetryAfter = maxRetryAfter
        self.breakerThreshold = breakerThreshold
        self.breakerCooldown = breakerCooldown
    }

    /// The retries of one target as a ``RetryPolicy``: `baseBackoff × 2ⁿ⁻¹` capped at `maxBackoff`, equal jitter,
    /// a `retry-after` honoured up to `maxRetryAfter` (a longer one moves on to the next target instead).
    public var retry: RetryPolicy {
        RetryPolicy(maxAttempts: attemptsPerTarget, initial: baseBackoff, maximum: maxBackoff, jitter: 0.5, maximumRetryAfter: maxRetryAfter)
    }

    /// The wait before retry number `retry` (1-based) of the same target.
    public func backoff(retry number: Int, retryAfter: Duration?, random: Double) -> Duration {
        // Every retry the router makes is within `attemptsPerTarget`; asked past it, the policy's last wait applies.
        var policy = retry
        policy.maxAttempts = max(policy.maxAttempts, number + 1)
        return policy.delay(afterAttempt: number, retryAfter: retryAfter, fraction: random) ?? maxBackoff
    }
}

/// A function: one task (`extract.us-drivers-license`, `greet`) served by weighted variants, each a model or route
/// (and, optionally, a system prompt of its own). Clients call the function by name as the model; each subject (a
/// user, an application, an episode) always gets the same variant, so an experiment compares like with like.
public struct FunctionConfiguration: Sendable, Hashable {
    public struct Variant: Sendable, Hashable {
        public var name: String
        /// A configured model or route.
        public var model: String
        public var weight: Double
        /// Replaces the request's system prompt when set.
        public var system: String?
        /// For an extraction function (`extract.TYPE`): labelled documents shown before each document (0: none).
        public var fewShot: Int

        public init(name: String, model: String, weight: Double, system: String? = nil, fewShot: Int = 0) {
            self.name = name; self.model = model; self.weight = weight; self.system = system; self.fewShot = fewShot
        }
    }

    public var name: String
    /// In name order (assignment depends on the order, so it never depends on the file's).
    public private(set) var variants: [Variant]

    public init(name: String, variants: [Variant]) {
        self.name = name
        self.variants = variants.sorted { $0.name < $1.name }
    }

    /// The variant for `subject`: a point in [0, 1) from a stable 64-bit hash of the function and the subject, placed
    /// on the variants' cumulative weights. The same subject gets the same variant in every process and release, as
    /// long as the variants and weights stay the same.
    public func variant(for subject: String) -> Variant {
        let point = Double(Self.stableHash(name + "\u{0}" + subject) >> 11) / Double(UInt64(1) << 53)
        let total = variants.reduce(0) { $0 + max(0, $1.weight) }
        var remaining = point * total
        for variant in variants where variant.weight > 0 {
            remaining -= variant.weight
            if remaining < 0 { return variant }
        }
        return variants.last { $0.weight > 0 } ?? variants[0]
    }

    /// FNV-1a over the UTF-8 bytes, then SplitMix64's finalizer to spread the bits: fixed by this code, unlike
    /// `Hasher`, which is seeded per process.
    public static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return SplitMix64.mix(hash)
    }
}
