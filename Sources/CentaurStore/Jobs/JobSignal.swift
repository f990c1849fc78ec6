import Foundation
import Synchronization

/// Wakes waiting workers when a job is queued, so work starts at once instead of at the next poll. A notification
/// with nobody waiting is kept for the next wait.
public final class JobSignal: Sendable {
    private struct State {
        var pending = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waits that ended (timed out) before their continuation was registered.
        var ended: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// How many waits are parked on the signal now.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Wakes every waiting worker (they race to claim), or the next one to wait.
    public func notify() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.waiters.isEmpty { state.pending = true; return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when notified, when `timeout` passes, or when the task is cancelled.
    public func wait(timeout: Duration) async {
        let id = state.withLock { state -> UInt64? in
            if state.pending { state.pending = false; return nil }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.ended.remove(id) != nil { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            // Whichever finished first, the other must end too: resume the continuation if it is still waiting,
            // or leave word that it should not wait at all.
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.ended.insert(id)
                return nil
            }
            waiter?.resume()
            await group.waitForAll()
            state.withLock { _ = $0.ended.remove(id) }
        }
    }
}
