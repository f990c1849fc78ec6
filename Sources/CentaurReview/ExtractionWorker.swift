import CentaurStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Wakes a worker when a job is queued, so uploads are read at once instead of at the next poll.
public final class JobSignal: Sendable {
    private let pending = Mutex(false)

    public init() {}

    public func notify() { pending.withLock { $0 = true } }

    /// Waits until notified or until `timeout` passes; checks every 20 ms (cheap, and no continuation to leak).
    func wait(timeout: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if pending.withLock({ value in defer { value = false }; return value }) { return }
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
        }
    }
}

/// The durable job queue's worker: leases the next due extraction job, runs it, repeats. A job whose worker
/// died (a crash, SIGKILL) is taken over when its lease ends; graceful shutdown lets the current job finish.
public struct ExtractionWorker: Service {
    public let service: OnboardingService
    public let signal: JobSignal
    public var pollInterval: Duration
    public let name: String
    /// Jobs run at once, each in a lane of its own: a document that takes long (a large PDF, a slow model) holds
    /// up one lane, not every applicant behind it.
    public var concurrency: Int

    public init(service: OnboardingService, signal: JobSignal, pollInterval: Duration = .seconds(1),
                name: String = "worker-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))", concurrency: Int = 1) {
        self.service = service
        self.signal = signal
        self.pollInterval = pollInterval
        self.name = name
        self.concurrency = max(1, concurrency)
    }

    public func run() async throws {
        let stopping = Latch()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<concurrency {
                    // Each lane leases under a name of its own.
                    let worker = ExtractionWorker(service: service, signal: signal, pollInterval: pollInterval,
                                                  name: concurrency == 1 ? name : "\(name)-\(lane)")
                    group.addTask {
                        while !stopping.isSet, !Task.isCancelled {
                            if try await worker.runNext() == false { await signal.wait(timeout: pollInterval) }
                        }
                    }
                }
                try await group.waitForAll()
            }
        } onGracefulShutdown: {
            stopping.set()
            signal.notify()
        }
    }

    /// Runs one due job; false when none was due.
    @discardableResult
    public func runNext() async throws -> Bool {
        let now = service.now()
        guard let job = try await service.store.claimJob(now: now, leaseUntil: now.addingTimeInterval(service.lease), worker: name) else {
            return false
        }
        service.logger.debug("extracting", metadata: ["application.id": "\(job.applicationID)", "job.id": "\(job.id)", "job.attempt": "\(job.attempts)"])
        await service.process(job)
        return true
    }

    /// Runs due jobs until none is left (the CLI and tests drain the queue this way).
    public func drain() async throws {
        while try await runNext() {}
    }
}

/// A flag set once from any thread.
final class Latch: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
