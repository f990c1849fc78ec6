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

    /// A handler that runs until the test lets it finish (or it is cancelled), counting its runs.
    struct Gated: JobHandler {
        let runs: Shared<Int>
        let release: Shared<Bool>
        let finished: Shared<Bool>
        func run(_ job: JobRecord) async throws {
            runs.value.withLock { $0 += 1 }
            while !release.value.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
            finished.value.withLock { $0 = true }
        }
    }

    /// Waits (in real time, generously) until `condition` holds.
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<3_000 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("never: \(what)")
    }

    @Test("a job that outlasts its lease keeps it by heartbeat: no other worker takes it meanwhile, and it is done once",
          .timeLimit(.minutes(1)))
    func heartbeat() async throws {
        // The lease is counted on a clock the test moves; the heartbeat beats every third of it (one second) in real time.
        let queue = InMemoryStore()
        let clock = TestTime(Self.start)
        try await queue.enqueue([Self.job("slow", kind: "alpha")])
        let handler = Gated(runs: Shared(0), release: Shared(false), finished: Shared(false))
        let worker = JobWorker(queue: queue, handlers: ["alpha": handler], signal: JobSignal(), lease: .seconds(3), name: "w1",
                               now: { clock.now }, logger: Logger(label: "test"))
        let first = Task { try await worker.runNext() }
        try await Self.waitUntilLeased("s-slow", by: "w1", in: queue)
        let leased = try #require(try await queue.jobs(subject: "s-slow").first?.leaseUntil)
        #expect(leased == Self.start.addingTimeInterval(3))
        // Half a lease later (on the test clock) a beat renews it to a full lease from then.
        clock.set(Self.start.addingTimeInterval(1.5))
        try await Self.eventually("a heartbeat renews the lease") {
            try await queue.jobs(subject: "s-slow").first?.leaseUntil == Self.start.addingTimeInterval(4.5)
        }
        // Past the first lease's end, another worker still cannot take the job.
        clock.set(Self.start.addingTimeInterval(3.5))
        #expect(try await queue.claimJob(now: clock.now, leaseUntil: clock.now.addingTimeInterval(60), worker: "w2") == nil)
        handler.release.value.withLock { $0 = true }
        #expect(try await first.value)
        #expect(handler.runs.value.withLock { $0 } == 1)
        #expect(try await queue.jobs(subject: "s-slow").map(\.status) == [.done])
    }

    @Test("a running worker fills its free slots from the queue and claims again as they free up", .timeLimit(.minutes(1)))
    func slots() async throws {
        let queue = InMemoryStore()
        try await queue.enqueue((1...7).map { Self.job("j\($0)", kind: "alpha") })
        let handler = Gated(runs: Shared(0), release: Shared(false), finished: Shared(false))
        let worker = JobWorker(queue: queue, handlers: ["alpha": handler], signal: JobSignal(), pollInterval: .milliseconds(50),
                               name: "w", concurrency: 3, now: { Self.start }, logger: Logger(label: "test"))
        let running = Task { try await worker.run() }
        try await Self.eventually("three jobs run at once") { handler.runs.value.withLock { $0 } == 3 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(handler.runs.value.withLock { $0 } == 3, "no more than its slots")
        let leased = try await (1...7).asyncMap { try await queue.jobs(subject: "s-j\($0)").first! }.filter { $0.status == .running }
        #expect(leased.map(\.id) == ["j1", "j2", "j3"] && leased.allSatisfy { $0.leasedBy == "w" })
        handler.release.value.withLock { $0 = true }
        try await Self.eventually("all seven done") {
            try await (1...7).asyncMap { try await queue.jobs(subject: "s-j\($0)").first!.status }.allSatisfy { $0 == .done }
        }
        #expect(handler.runs.value.withLock { $0 } == 7, "each job ran once")
        running.cancel()
        _ = await running.result
    }

    @Test("a worker whose lease was taken over stops the job instead of doing it twice", .timeLimit(.minutes(1)))
    func lostLease() async throws {
        let queue = InMemoryStore()
        let clock = TestTime(Self.start)
        try await queue.enqueue([Self.job("j", kind: "alpha")])
        let handler = Gated(runs: Shared(0), release: Shared(false), finished: Shared(false))
        let worker = JobWorker(queue: queue, handlers: ["alpha": handler], signal: JobSignal(), lease: .seconds(3), name: "w1",
                               now: { clock.now }, logger: Logger(label: "test"))
        let first = Task { try await worker.runNext() }
        try await Self.waitUntilLeased("s-j", by: "w1", in: queue)
        // The first worker stalled past its lease, and another took the job over (here: it was put back and claimed).
        try await queue.failJob(id: "j", error: "stalled", retryAt: clock.now, now: clock.now)
        #expect(try await queue.claimJob(now: clock.now, leaseUntil: clock.now.addingTimeInterval(60), worker: "w2")?.id == "j")
        #expect(try await first.value, "the first worker returns once its heartbeat finds the lease gone")
        #expect(!handler.finished.value.withLock { $0 }, "its handler was stopped, never released")
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
