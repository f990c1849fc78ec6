import Foundation
import Synchronization

/// A small deterministic generator (SplitMix64), so property and randomised tests repeat.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}


/// A count that any thread or task may add to (calls to a fake, wakes of a listener).
public final class Counter: Sendable {
    private let value = Mutex(0)
    public init() {}
    public var count: Int { value.withLock { $0 } }
    public func add() { value.withLock { $0 += 1 } }
    /// Adds one and returns the new count.
    public func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
