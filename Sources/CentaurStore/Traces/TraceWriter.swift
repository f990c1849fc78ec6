import CentaurCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Writes traces in batches: callers ``enqueue(_:)`` into a bounded queue and return at once, or ``persist(_:)`` and
/// wait until their batch is stored (the gateway's default: an answer is acknowledged only once its trace is, so a
/// process killed outright loses no trace of an answer it gave). This `Service` writes batch after batch — records
/// that arrive while one is written form the next, one transaction for many requests — and, on shutdown, flushes
/// everything queued.
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
        /// Records ever accepted, and those whose batch has ended (written or given up): a waiter's records are
        /// done once `finished` reaches the number its last record got.
        var accepted = 0
        var finished = 0
        var persistWaiters: [(through: Int, continuation: CheckedContinuation<Outcome, Never>)] = []
        var running = false
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
    /// Whether ``run()`` is writing (``persist(_:)`` waits only then).
    public var isRunning: Bool { state.withLock { $0.running } }

    /// Queues records for writing; `false` when the queue is full and they were dropped.
    @discardableResult
    public func enqueue(_ records: [TraceRecord]) -> Bool {
        accept(records) != nil
    }

    /// What became of records handed to ``persist(_:)``.
    public enum Outcome: Sendable, Hashable {
        /// Written to the store.
        case stored
        /// The writer is not running: queued for its next run, as ``enqueue(_:)`` would.
        case queued
        /// Not written: the queue was full, or the store kept failing (both logged).
        case lost
    }

    /// Queues records and waits until their batch has been written.
    @discardableResult
    public func persist(_ records: [TraceRecord]) async -> Outcome {
        guard !records.isEmpty else { return .stored }
        guard let through = accept(records) else { return .lost }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let now: Outcome? = state.withLock { state in
                if !state.running { return .queued }
                if state.finished >= through { return .stored }
                state.persistWaiters.append((through, continuation))
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Queues records; the number the last one got, or nil when the queue is full and they were dropped.
    private func accept(_ records: [TraceRecord]) -> Int? {
        guard !records.isEmpty else { return state.withLock { $0.accepted } }
        let (through, waiter, droppedTotal) = state.withLock { state -> (Int?, CheckedContinuation<Void, Never>?, Int) in
            guard state.queue.count + records.count <= capacity else {
                state.dropped += records.count
                return (nil, nil, state.dropped)
            }
            state.queue += records
            state.accepted += records.count
            let waiter = state.waiter
            state.waiter = nil
            return (state.accepted, waiter, state.dropped)
        }
        waiter?.resume()
        if through == nil {
            logger.warning("trace queue full; records dropped", metadata: ["dropped.total": "\(droppedTotal)", "queue.capacity": "\(capacity)"])
        }
        return through
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
        state.withLock { $0.stopping = false; $0.running = true }
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
        // Nothing is left to write: anyone still waiting (a record that arrived during the drain) is told so.
        let stranded = state.withLock { state -> [CheckedContinuation<Outcome, Never>] in
            state.running = false
            defer { state.persistWaiters = [] }
            return state.persistWaiters.map(\.continuation)
        }
        stranded.forEach { $0.resume(returning: .queued) }
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
            // Lingering gathers a bigger batch when nobody waits for this one; a caller waiting on its trace is not kept.
            if woken, linger > .zero, state.withLock({ !$0.stopping && $0.queue.count < batchSize && $0.persistWaiters.isEmpty }) {
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
        let (waiters, persisted) = state.withLock { state -> ([CheckedContinuation<Void, Never>], [CheckedContinuation<Outcome, Never>]) in
            state.inFlight -= batch.count
            state.finished += batch.count
            if failure == nil { state.written += batch.count } else { state.dropped += batch.count }
            let finished = state.finished
            let done = state.persistWaiters.filter { $0.through <= finished }.map(\.continuation)
            state.persistWaiters.removeAll { $0.through <= finished }
            guard state.queue.isEmpty && state.inFlight == 0 else { return ([], done) }
            defer { state.flushWaiters = [] }
            return (state.flushWaiters, done)
        }
        if let failure {
            logger.error("trace batch could not be written; dropped", metadata: ["batch.size": "\(batch.count)", "error": "\(failure)"])
        }
        waiters.forEach { $0.resume() }
        persisted.forEach { $0.resume(returning: failure == nil ? .stored : .lost) }
    }
}
