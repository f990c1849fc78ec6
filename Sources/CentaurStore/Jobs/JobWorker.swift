import CentaurCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Does the work of one kind of job.
public protocol JobHandler: Sendable {
    /// Does the job. Returning means it is done (the worker marks it so, harmlessly again if the handler's own
    /// transaction already did); throwing fails this attempt, retried by the worker's policy unless permanent.
    /// Cancellation (shutdown) leaves the job leased: it runs again when the lease ends.
    func run(_ job: JobRecord) async throws
    /// Whether an error means trying again is pointless (an unreadable document, say).
    func isPermanent(_ error: any Error) -> Bool
    /// Called once when the job is given up, to record the failure where people look.
    func gaveUp(_ job: JobRecord, error: any Error) async
}

extension JobHandler {
    public func isPermanent(_ error: any Error) -> Bool { false }
    public func gaveUp(_ job: JobRecord, error: any Error) async {}
}

/// A durable queue's worker: leases the next due job of a kind it has a handler for, runs it, repeats; woken by a
/// ``JobSignal`` when work is queued and otherwise checking every `pollInterval`. A job whose worker died (a
/// crash, SIGKILL) is taken over when its lease ends; graceful shutdown lets the current jobs finish.
public struct JobWorker: Service {
    public let queue: any JobQueue
    public let handlers: [JobKind: any JobHandler]
    public let signal: JobSignal
    public var retry: RetryPolicy
    /// How long a worker holds a job before another may take it over.
    public var lease: Duration
    public var pollInterval: Duration
    public let name: String
    /// Jobs run at once, each in a task of its own: a long job holds up one slot, not every job behind it.
    public var concurrency: Int
    public var now: @Sendable () -> Date
    public var logger: Logger

    /// - Parameter retry: backoff between attempts; a job's own `maxAttempts` bounds its attempts.
    public init(queue: any JobQueue, handlers: [JobKind: any JobHandler], signal: JobSignal,
                retry: RetryPolicy = RetryPolicy(maxAttempts: .max, initial: .seconds(2), maximum: .seconds(60)),
                lease: Duration = .seconds(120), pollInterval: Duration = .seconds(1),
                name: String = "worker-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))",
                concurrency: Int = 1, now: @escaping @Sendable () -> Date = Date.init, logger: Logger) {
        self.queue = queue; self.handlers = handlers; self.signal = signal; self.retry = retry; self.lease = lease
        self.pollInterval = pollInterval; self.name = name; self.concurrency = max(1, concurrency); self.now = now; self.logger = logger
    }

    /// Claims as many jobs at a time as it has free slots (one statement for the lot), runs each in a task of its
    /// own, and claims again as slots free up; waits for the signal (or the poll) when nothing is due. A store that
    /// does not answer is logged and tried again at the next poll: the worker outlives a database restart.
    public func run() async throws {
        let stopping = Latch()
        let freed = JobSignal()
        let running = Counter()
        let (concurrency, signal, pollInterval, logger) = (concurrency, signal, pollInterval, logger)
        try await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !stopping.isSet, !Task.isCancelled {
                    let free = concurrency - running.value
                    guard free > 0 else {
                        await freed.wait(timeout: pollInterval)
                        continue
                    }
                    let jobs: [JobRecord]
                    do {
                        jobs = try await claim(limit: free)
                    } catch {
                        logger.warning("could not claim jobs; trying again", metadata: ["worker": "\(name)", "error": "\(error)"])
                        await signal.wait(timeout: pollInterval)
                        continue
                    }
                    guard !jobs.isEmpty else {
                        await signal.wait(timeout: pollInterval)
                        continue
                    }
                    running.add(jobs.count)
                    for job in jobs {
                        group.addTask {
                            await execute(job)
                            running.add(-1)
                            freed.notify()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            stopping.set()
            signal.notify()
            freed.notify()
        }
    }

    /// Leases up to `limit` due jobs of the kinds this worker has handlers for.
    func claim(limit: Int) async throws -> [JobRecord] {
        let date = now()
        return try await queue.claimJobs(kinds: Set(handlers.keys), limit: limit, now: date,
                                         leaseUntil: date.addingTimeInterval(lease.seconds), worker: name)
    }

    /// Runs one due job; false when none was due.
    @discardableResult
    public func runNext() async throws -> Bool {
        guard let job = try await claim(limit: 1).first else { return false }
        await execute(job)
        return true
    }

    /// Runs a claimed job to its end: done, failed (retried or given up), or left leased when shutting down.
    func execute(_ job: JobRecord) async {
        guard let handler = handlers[job.kind] else { return }  // claimed only kinds with a handler
        logger.debug("running a job", metadata: ["job.id": "\(job.id)", "job.kind": "\(job.kind)", "job.subject": "\(job.subject)",
                                                 "job.attempt": "\(job.attempts)"])
        do {
            try await runHoldingLease(job, handler: handler)
            try await queue.completeJob(id: job.id, now: now())
        } catch is CancellationError {
            // Shutting down mid-job: the lease runs out and a worker takes the job again.
        } catch {
            await fail(job, error, handler: handler)
        }
    }

    /// Runs the handler while a heartbeat renews the job's lease every third of it, so a job that takes longer than
    /// its lease is not taken over by another worker while this one is still at it. A worker that finds its lease
    /// gone (it stalled past the lease and another took the job) stops the handler rather than do the job twice.
    func runHoldingLease(_ job: JobRecord, handler: any JobHandler) async throws {
        let work = Task { try await handler.run(job) }
        let (queue, worker, lease, now, logger) = (queue, name, lease, now, logger)
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: lease / 3)
                if Task.isCancelled { return }
                do {
                    let date = now()
                    guard try await queue.renewLease(id: job.id, worker: worker, until: date.addingTimeInterval(lease.seconds), now: date) else {
                        logger.warning("a job's lease was lost; stopping it", metadata: ["job.id": "\(job.id)", "worker": "\(worker)"])
                        work.cancel()
                        return
                    }
                } catch {
                    // The store did not answer: the lease may still hold; try again at the next beat.
                    logger.warning("could not renew a job's lease", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
                }
            }
        }
        defer { heartbeat.cancel() }
        try await withTaskCancellationHandler { try await work.value } onCancel: { work.cancel() }
    }

    /// Runs due jobs until none is left (the CLI and tests drain the queue this way).
    public func drain() async throws {
        while try await runNext() {}
    }

    private func fail(_ job: JobRecord, _ error: any Error, handler: any JobHandler) async {
        let date = now()
        let message = String(describing: error)
        var random = SystemRandomNumberGenerator()
        let permanent = handler.isPermanent(error) || job.attempts >= job.maxAttempts
        let wait = permanent ? nil : retry.delay(afterAttempt: job.attempts, random: &random)
        logger.warning("a job failed", metadata: ["job.id": "\(job.id)", "job.kind": "\(job.kind)", "job.subject": "\(job.subject)",
                                                  "job.attempt": "\(job.attempts)", "job.retry": "\(wait.map { "\($0)" } ?? "no")",
                                                  "error": "\(message)"])
        do {
            try await queue.failJob(id: job.id, error: message, retryAt: wait.map { date.addingTimeInterval($0.seconds) }, now: date)
            if wait == nil { await handler.gaveUp(job, error: error) }
        } catch {
            logger.error("cannot record a failed job", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
        }
    }
}

/// A count changed from any thread.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ n: Int) { count.withLock { $0 += n } }
}

/// A flag set once from any thread.
final class Latch: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
