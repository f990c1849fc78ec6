import Foundation
import Synchronization

/// Stops sending requests to a target that keeps failing, and lets one trial through after a cool-down.
///
/// Closed → (threshold consecutive failures) → open → (cool-down passed) → half-open: one trial request;
/// success closes, failure opens again.
public final class CircuitBreaker: Sendable {
    public enum State: Sendable, Hashable {
        case closed(failures: Int)
        case open(until: Date)
        case halfOpen
    }

    public let threshold: Int
    public let cooldown: TimeInterval
    private let state: Mutex<State>

    public init(threshold: Int, cooldown: Duration) {
        self.threshold = max(1, threshold)
        self.cooldown = cooldown.seconds
        self.state = Mutex(.closed(failures: 0))
    }

    public var current: State { state.withLock { $0 } }

    /// Whether a request may go to the target now; moving from open to half-open lets exactly one through.
    public func allowsRequest(now: Date) -> Bool {
        state.withLock { state in
            switch state {
            case .closed: return true
            case .halfOpen: return false
            case .open(let until):
                guard now >= until else { return false }
                state = .halfOpen
                return true
            }
        }
    }

    public func recordSuccess() {
        state.withLock { $0 = .closed(failures: 0) }
    }

    public func recordFailure(now: Date) {
        state.withLock { state in
            switch state {
            case .closed(let failures):
                state = failures + 1 >= threshold ? .open(until: now.addingTimeInterval(cooldown)) : .closed(failures: failures + 1)
            case .halfOpen, .open:
                state = .open(until: now.addingTimeInterval(cooldown))
            }
        }
    }
}
