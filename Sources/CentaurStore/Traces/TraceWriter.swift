import CentaurCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Writes traces off the hot path: callers ``enqueue(_:)`` into a bounded queue and return at once;
/// this `Service` writes batches in the background and, on shutdown, flushes everything queued.
///
/// A full queue drops the new records and counts them (``dropped``), with a warning in the log —
/// never silently. A batch that fails to write is retried; if it keeps failing it is counted as dropped.
public final class TraceWriter: Service, Sendable {
    public let capacity: Int
    public let batchSize: Int
    private let store: any TraceStore
    private let logger: Logger

    private struct State {
        var queue: [TraceRecord] = []
        var waiter: CheckedContinuation<Void, Never>?
        var stopping = false
        var dropped = 0
        var written = 0
        var inFlight = 0
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// How long the writer waits, after waking for a record, for more to join the batch: one transaction for
    /// several requests instead of one each when traffic is light (under load batches fill on their own).
    public let linger: Duration

    public init(
        store: any TraceStore, capacity: Int = 50_000, batchSize: Int = 512, linger: Duration = .milliseconds(5),
        logger: Logger = .disabled
    ) {
        self.store = store
        self.capacity = max(1, capacity)
        self.batchSize = max(1, batchSize)
        self.linger = linger
        self.logger = logger
    }

    /// Records waiting to be written.
    public var queueDepth: Int { state.withLock { $0.queue.count } }
    /// Records dropped because the queue was full or the store kept failing.
    public var dropped: Int { state.withLock { $0.dropped } }
    /// Records written to the store.
    public var written: Int { state.withLock { $0.written } }

    /// Queues records for writing; `false` when the queue is full and they were dropped.
    @discardableResult
    public func enqueue(_ records: [TraceRecord]) -> Bool {
        guard !records.isEmpty else { return true }
        let (accepted, waiter, droppedTotal) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?, Int) in
            guard state.queue.count + records.count <= capacity else {
                state.dropped += records.count
                return (false, nil, state.dropped)
            }
            state.queue += records
            let waiter = state.waiter
            state.waiter = nil
            return (true, waiter, state.dropped)
        }
        waiter?.resume()
        if !accepted {
            logger.warning("trace queue full; records dropped", metadata: ["dropped.total": "\(droppedTotal)", "queue.capacity": "\(capacity)"])
        }
        return accepted
    }

    /// Waits until everything queued before this call has been written (or dropped).
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.queue.isEmpty && state.inFlight == 0 { return true }
                state.flushWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Writes until cancelled or shut down, then drains. It can run again after stopping (a one-shot command runs it
    /// around each batch of calls); a stop that arrives before it starts still stops it, since the cancellation and
    /// shutdown handlers fire at once when their event already happened.
    public func run() async throws {
        state.withLock { $0.stopping = false }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                while let batch = await nextBatch() {
                    await write(batch)
                }
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        // Drain whatever is left, in a task that does not inherit cancellation.
        await Task {
            while let batch = takeBatch() { await write(batch) }
        }.value
        logger.info("trace writer stopped", metadata: ["written": "\(written)", "dropped": "\(dropped)"])
    }

    private func stop() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.stopping = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The next batch, or `nil` once stopping (the remainder is drained by `run`).
    private func nextBatch() async -> [TraceRecord]? {
        var woken = false
        while true {
            if woken, linger > .zero, state.withLock({ !$0.stopping && $0.queue.count < batchSize }) {
                woken = false
                try? await Task.sleep(for: linger)
            }
            if let result = state.withLock({ state -> [TraceRecord]?? in
                if state.stopping { return .some(nil) }
                return state.queue.isEmpty ? nil : .some(takeLocked(&state))
            }) {
                return result
            }
            woken = true
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.stopping || !state.queue.isEmpty { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    private func takeBatch() -> [TraceRecord]? {
        state.withLock { state in state.queue.isEmpty ? nil : takeLocked(&state) }
    }

    private func takeLocked(_ state: inout State) -> [TraceRecord] {
        let count = min(batchSize, state.queue.count)
        let batch = Array(state.queue.prefix(count))
        state.queue.removeFirst(count)
        state.inFlight += count
        return batch
    }

    /// A batch that fails is tried three times in all, 50 ms and 100 ms apart, then counted as dropped.
    static let retry = RetryPolicy(maxAttempts: 3, initial: .milliseconds(50), maximum: .seconds(1))

    private func write(_ batch: [TraceRecord]) async {
        var failure: (any Error)?
        // Each attempt runs in a task of its own, which does not inherit cancellation: a batch taken from the queue
        // is written even when the service is cancelled mid-write (the store would otherwise throw
        // CancellationError and the batch, already acknowledged to its callers, would be lost).
        let store = self.store
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await Task { try await store.insert(batch) }.value
                failure = nil
                break
            } catch {
                failure = error
                guard let wait = Self.retry.delay(afterAttempt: attempt, fraction: 0) else { break }
                await Task { try? await Task.sleep(for: wait) }.value
            }
        }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.inFlight -= batch.count
            if failure == nil { state.written += batch.count } else { state.dropped += batch.count }
            guard state.queue.isEmpty && state.inFlight == 0 else { return [] }
            defer { state.flushWaiters = [] }
            return state.flushWaiters
        }
        if let failure {
            logger.error("trace batch could not be written; dropped", metadata: ["batch.size": "\(batch.count)", "error": "\(failure)"])
        }
        waiters.forEach { $0.resume() }
    }
}
