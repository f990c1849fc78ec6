import CentaurCore
import CentaurStore
import CentaurTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// A handler that fails the first `failures` attempts, permanently when `permanent`, and records what it saw.
final class RecordingHandler: JobHandler {
    let failures: Int
    let permanent: Bool
    let ran = Mutex<[String]>([])
    let givenUp = Mutex<[String]>([])

    init(failures: Int = 0, permanent: Bool = false) { self.failures = failures; self.permanent = permanent }

    struct Failure: Error {}

    func run(_ job: JobRecord) async throws {
        ran.withLock { $0.append("\(job.id)#\(job.attempts)") }
        if job.attempts <= failures { throw Failure() }
    }

    func isPermanent(_ error: any Error) -> Bool { permanent }
    func gaveUp(_ job: JobRecord, error: any Error) async { givenUp.withLock { $0.append(job.id) } }
}

/// A value closures on other tasks change.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}

/// A time that tests move by hand.
final class TestTime: Sendable {
    private let value: Mutex<Date>
    init(_ date: Date) { value = Mutex(date) }
    var now: Date { value.withLock { $0 } }
    func set(_ date: Date) { value.withLock { $0 = date } }
}

struct JobWorkerTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func job(_ id: String, kind: JobKind, maxAttempts: Int = 4) -> JobRecord {
        JobRecord(id: id, kind: kind, subject: "s-\(id)", maxAttempts: maxAttempts, runAfter: start, createdAt: start, updatedAt: start)
    }

    /// A job due by the real clock (the heartbeat tests run in real time).
    static func dueNow(_ id: String) -> JobRecord {
        let past = Date(timeIntervalSince1970: 1_700_000_000)
        return JobRecord(id: id, kind: "alpha", subject: "s-\(id)", runAfter: past, createdAt: past, updatedAt: past)
    }

    /// Waits until `worker` holds the job about `subject`.
    static func waitUntilLeased(_ subject: String, by worker: String, in queue: InMemoryStore) async throws {
        for _ in 0..<500 {
            if try await queue.jobs(subject: subject).first?.leasedBy == worker { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("\(worker) never leased the job about \(subject)")
    }

    /// A worker over `queue` whose clock reads `clock`.
    static func worker(_ queue: InMemoryStore, _ handlers: [JobKind: any JobHandler], clock: TestTime) -> JobWorker {
        let now: @Sendable () -> Date = { clock.now }
        return JobWorker(queue: queue, handlers: handlers, signal: JobSignal(),
                         retry: RetryPolicy(maxAttempts: .max, initial: .seconds(2), maximum: .seconds(60)), now: now,
                         logger: Logger(label: "test"))
    }

    @Test("each kind goes to its handler; a job of a kind with no handler is left for another worker")
    func handlersByKind() async throws {
        let queue = InMemoryStore()
        try await queue.enqueue([Self.job("a", kind: "alpha"), Self.job("b", kind: "beta"), Self.job("c", kind: "gamma")])
        let alpha = RecordingHandler(), beta = RecordingHandler()
        let clock = TestTime(Self.start)
        try await Self.worker(queue, ["alpha": alpha, "beta": beta], clock: clock).drain()
        #expect(alpha.ran.withLock { $0 } == ["a#1"] && beta.ran.withLock { $0 } == ["b#1"])
        #expect(try await queue.jobs(subject: "s-a").map(\.status) == [.done])
        #expect(try await queue.jobs(subject: "s-c").map(\.status) == [.queued], "nobody here handles gamma")
    }

    @Test("a job that outlasts its lease keeps it by heartbeat: no other worker takes it meanwhile, and it is done once",
          .timeLimit(.minutes(1)))
    func heartbeat() async throws {
        let queue = InMemoryStore()
        try await queue.enqueue([Self.dueNow("slow")])
        let runs = Shared(0)
        struct Slow: JobHandler {
            let runs: @Sendable () -> Void
            func run(_ job: JobRecord) async throws {
                runs()
                try await Task.sleep(for: .seconds(7))
            }
        }
        let worker = JobWorker(queue: queue, handlers: ["alpha": Slow { runs.value.withLock { $0 += 1 } }], signal: JobSignal(), lease: .seconds(3),
                               name: "w1", logger: Logger(label: "test"))
        let first = Task { try await worker.runNext() }
        try await Self.waitUntilLeased("s-slow", by: "w1", in: queue)
        // Another worker keeps trying while the first is at it (over two leases long; the beat comes every second).
        var takenOver = 0
        for _ in 0..<60 {
            try await Task.sleep(for: .milliseconds(100))
            if try await queue.claimJob(now: Date(), leaseUntil: Date().addingTimeInterval(60), worker: "w2") != nil { takenOver += 1 }
        }
        #expect(try await first.value)
        #expect(takenOver == 0, "the heartbeat kept the lease")
        #expect(runs.value.withLock { $0 } == 1)
        #expect(try await queue.jobs(subject: "s-slow").map(\.status) == [.done])
    }

    @Test("a worker whose lease was taken over stops the job instead of doing it twice", .timeLimit(.minutes(1)))
    func lostLease() async throws {
        let queue = InMemoryStore()
        try await queue.enqueue([Self.dueNow("j")])
        let finished = Shared(false)
        struct Long: JobHandler {
            let finished: @Sendable () -> Void
            func run(_ job: JobRecord) async throws {
                try await Task.sleep(for: .seconds(5))
                finished()
            }
        }
        let worker = JobWorker(queue: queue, handlers: ["alpha": Long { finished.value.withLock { $0 = true } }], signal: JobSignal(),
                               lease: .milliseconds(300), name: "w1", logger: Logger(label: "test"))
        let first = Task { try await worker.runNext() }
        try await Self.waitUntilLeased("s-j", by: "w1", in: queue)
        // The first worker stalls past its lease (here: its job is failed back and claimed by another, as after expiry).
        try await queue.failJob(id: "j", error: "stalled", retryAt: Date(), now: Date())
        #expect(try await queue.claimJob(now: Date(), leaseUntil: Date().addingTimeInterval(60), worker: "w2")?.id == "j")
        #expect(try await first.value, "the first worker returns once its heartbeat finds the lease gone")
        #expect(!finished.value.withLock { $0 }, "its handler was stopped")
        #expect(try await queue.jobs(subject: "s-j").first?.leasedBy == "w2", "the job is the second worker's")
    }

    @Test("a failed attempt is retried after the policy's backoff, then done")
    func backoff() async throws {
        let queue = InMemoryStore()
        try await queue.enqueue([Self.job("a", kind: "alpha")])
        let handler = RecordingHandler(failures: 2)
        let clock = TestTime(Self.start)
        let worker = Self.worker(queue, ["alpha": handler], clock: clock)
        #expect(try await worker.runNext())
        let failed = try #require(try await queue.jobs(subject: "s-a").first)
        #expect(failed.status == .queued && failed.runAfter == Self.start.addingTimeInterval(2) && failed.lastError != nil)
        #expect(try await worker.runNext() == false, "not due before its backoff")
        clock.set(Self.start.addingTimeInterval(2))
        #expect(try await worker.runNext())
        #expect(try await queue.jobs(subject: "s-a").first?.runAfter == Self.start.addingTimeInterval(2 + 4), "twice as long the second time")
        clock.set(Self.start.addingTimeInterval(6))
        #expect(try await worker.runNext())
        #expect(handler.ran.withLock { $0 } == ["a#1", "a#2", "a#3"])
        #expect(try await queue.jobs(subject: "s-a").first?.status == .done)
        #expect(handler.givenUp.withLock { $0 }.isEmpty)
    }

    @Test("a permanent error, or the last attempt failing, gives the job up once")
    func givingUp() async throws {
        let queue = InMemoryStore()
        try await queue.enqueue([Self.job("p", kind: "alpha"), Self.job("q", kind: "beta", maxAttempts: 1)])
        let permanent = RecordingHandler(failures: 9, permanent: true), flaky = RecordingHandler(failures: 9)
        let clock = TestTime(Self.start)
        try await Self.worker(queue, ["alpha": permanent, "beta": flaky], clock: clock).drain()
        #expect(try await queue.jobs(subject: "s-p").first?.status == .failed)
        #expect(try await queue.jobs(subject: "s-q").first?.status == .failed)
        #expect(permanent.givenUp.withLock { $0 } == ["p"] && flaky.givenUp.withLock { $0 } == ["q"])
        #expect(permanent.ran.withLock { $0 }.count == 1 && flaky.ran.withLock { $0 }.count == 1)
    }
}

struct JobSignalTests {
    @Test("a notification with nobody waiting is kept for the next wait", .timeLimit(.minutes(1)))
    func kept() async {
        let signal = JobSignal()
        signal.notify()
        await signal.wait(timeout: .seconds(3_600))
    }

    @Test("a waiting worker is woken by a notification", .timeLimit(.minutes(1)))
    func wakes() async {
        let signal = JobSignal()
        let waiter = Task { await signal.wait(timeout: .seconds(3_600)) }
        while signal.waiting == 0 { await Task.yield() }  // parked, not merely about to wait
        signal.notify()
        await waiter.value
        #expect(signal.waiting == 0)
    }

    @Test("without a notification the wait ends at its timeout, and cancellation ends it too", .timeLimit(.minutes(1)))
    func timeoutAndCancellation() async {
        let signal = JobSignal()
        await signal.wait(timeout: .milliseconds(10))
        let task = Task { await signal.wait(timeout: .seconds(3_600)) }
        task.cancel()
        await task.value
    }
}

struct RetryPolicyTests {
    @Test("backoff doubles from the first wait up to the ceiling, and stops after the last attempt")
    func exponential() {
        let policy = RetryPolicy(maxAttempts: 8, initial: .seconds(2), maximum: .seconds(60))
        var random = SystemRandomNumberGenerator()
        let waits = (1...8).map { policy.delay(afterAttempt: $0, random: &random) }
        #expect(waits == [.seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(32), .seconds(60), .seconds(60), nil])
    }

    @Test("a longer retry-after wins, capped by the ceiling; jitter stays within its share of the wait")
    func retryAfterAndJitter() {
        var random = SystemRandomNumberGenerator()
        let policy = RetryPolicy(maxAttempts: 3, initial: .seconds(1), maximum: .seconds(30))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(10), random: &random) == .seconds(10))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(600), random: &random) == .seconds(30))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .milliseconds(10), random: &random) == .seconds(1))
        let jittered = RetryPolicy(maxAttempts: 3, initial: .seconds(8), maximum: .seconds(30), jitter: 0.5)
        for _ in 0..<200 {
            let wait = jittered.delay(afterAttempt: 1, random: &random)!
            #expect(wait >= .seconds(4) && wait <= .seconds(8))
        }
    }
}
