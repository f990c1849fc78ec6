import Foundation

/// What a job does; workers run the kinds they have a handler for. Open for new kinds (batch inference, prompt
/// chains, re-extraction) without a schema change.
public struct JobKind: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    /// Read an application's current documents and hand the values to the applicant (`CentaurReview`).
    public static let extraction: JobKind = "extract"

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Where a job is in its life; the same list as the `job.status` CHECK constraint.
public enum JobStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for `runAfter`.
    case queued
    /// Leased to a worker until `leaseUntil`; an expired lease makes it claimable again.
    case running
    case done
    /// Given up: a permanent error, or every attempt spent.
    case failed
}

/// A durable background job: leased by one worker at a time, retried with backoff, never lost (a dead worker's
/// lease expires and another takes the job over).
public struct JobRecord: Sendable, Hashable, Codable {
    public var id: String
    public var kind: JobKind
    /// What the job is about (an application id for extraction), for listing a subject's jobs.
    public var subject: String
    /// On whose behalf the job runs (an applicant, a team; empty when nobody's in particular). Jobs are shared
    /// fairly between lanes — one lane per kind and tenant — so one tenant's thousand jobs do not starve another's one.
    public var tenant: String
    /// The job's place in the fair order, set by the queue when the job is enqueued (see ``JobTurns``): claims take
    /// the lowest turn first, then the oldest `runAfter`.
    public var turn: Int64
    /// The job's input as JSON text (`{}` when the subject says everything).
    public var payload: String
    public var status: JobStatus
    public var attempts: Int
    public var maxAttempts: Int
    public var runAfter: Date
    public var leaseUntil: Date?
    public var leasedBy: String?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, kind, subject, tenant, turn, payload, status, attempts
        case maxAttempts = "max_attempts", runAfter = "run_after"
        case leaseUntil = "lease_until", leasedBy = "leased_by", lastError = "last_error"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    public init(id: String, kind: JobKind, subject: String, tenant: String = "", payload: String = "{}", status: JobStatus = .queued,
                attempts: Int = 0, maxAttempts: Int = 5, runAfter: Date, leaseUntil: Date? = nil, leasedBy: String? = nil,
                lastError: String? = nil, createdAt: Date, updatedAt: Date) {
        self.id = id; self.kind = kind; self.subject = subject; self.tenant = tenant; self.turn = 0; self.payload = payload
        self.status = status; self.attempts = attempts
        self.maxAttempts = maxAttempts; self.runAfter = runAfter; self.leaseUntil = leaseUntil; self.leasedBy = leasedBy
        self.lastError = lastError; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    /// Records written before jobs had tenants and turns read as nobody's, turn 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        kind = try c.decode(JobKind.self, forKey: .kind)
        subject = try c.decode(String.self, forKey: .subject)
        tenant = try c.decodeIfPresent(String.self, forKey: .tenant) ?? ""
        turn = try c.decodeIfPresent(Int64.self, forKey: .turn) ?? 0
        payload = try c.decode(String.self, forKey: .payload)
        status = try c.decode(JobStatus.self, forKey: .status)
        attempts = try c.decode(Int.self, forKey: .attempts)
        maxAttempts = try c.decode(Int.self, forKey: .maxAttempts)
        runAfter = try c.decode(Date.self, forKey: .runAfter)
        leaseUntil = try c.decodeIfPresent(Date.self, forKey: .leaseUntil)
        leasedBy = try c.decodeIfPresent(String.self, forKey: .leasedBy)
        lastError = try c.decodeIfPresent(String.self, forKey: .lastError)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
    }

    /// The lane the job is queued in: its kind and tenant.
    public var lane: JobLane { JobLane(kind: kind, tenant: tenant) }

    /// Whether a claim at `now` may take it: queued and due, or running on a lease that has ended.
    public func isClaimable(at now: Date) -> Bool {
        (status == .queued && runAfter <= now) || (status == .running && (leaseUntil.map { $0 < now } ?? false))
    }
}

/// One queue within the queue: jobs of one kind for one tenant.
public struct JobLane: Sendable, Hashable {
    public var kind: JobKind
    public var tenant: String
    public init(kind: JobKind, tenant: String) { self.kind = kind; self.tenant = tenant }
}

/// Fair order across lanes, the same rule on every backend (stride scheduling with unit strides). A job enqueued in
/// a lane takes the turn after the lane's highest unfinished turn, but never one below the queue's frontier — the
/// lowest turn still waiting and due — so claims (lowest turn first) go round the lanes: a lane with a backlog of
/// a thousand gets one job in per turn like a lane with one. A newcomer starts at the frontier, not at turn 1, so it
/// cannot jump a backlog it was not part of. Two enqueues racing in one lane may draw the same turn; ties go to the
/// older `runAfter`, which bends fairness by a job and loses nothing.
public enum JobTurns {
    /// The turn for a job of a lane whose highest unfinished turn is `laneHighest`, when the lowest turn waiting and due
    /// in the whole queue is `frontier` (nil when none).
    public static func next(laneHighest: Int64?, frontier: Int64?) -> Int64 {
        max(laneHighest ?? 0, (frontier ?? 1) - 1, 0) + 1
    }

    /// Claim order: lowest turn, then oldest `runAfter` (the order enqueued breaks the remaining ties).
    public static func precedes(_ a: JobRecord, _ b: JobRecord) -> Bool {
        (a.turn, a.runAfter) < (b.turn, b.runAfter)
    }
}

/// Durable background work. Jobs are enqueued on their own (``enqueue(_:)``) or by a committed workflow step
/// (`WorkflowChange.jobs`), and leased by workers (``JobWorker``).
public protocol JobQueue: Sendable {
    /// Adds jobs, giving each its turn in its lane (``JobTurns``); the turns passed in are ignored.
    func enqueue(_ jobs: [JobRecord]) async throws
    /// Leases up to `limit` claimable jobs of `kinds` (any kind when nil) — queued and due, or running with an expired
    /// lease — to `worker` until `leaseUntil`, counting an attempt on each, in fair order (``JobTurns``: lowest turn,
    /// then oldest `runAfter`, then the order enqueued). Enqueuing assigns each job its ``JobRecord/turn``.
    func claimJobs(kinds: Set<JobKind>?, limit: Int, now: Date, leaseUntil: Date, worker: String) async throws -> [JobRecord]
    /// Puts a failed job back in the queue after `retryAt`, or marks it failed when `retryAt` is nil.
    func failJob(id: String, error: String, retryAt: Date?, now: Date) async throws
    /// Extends the lease of a job `worker` still holds (running, leased by it) to `until` — the worker's heartbeat.
    /// False when the job is no longer its own (done, failed, or taken over after the lease ran out).
    func renewLease(id: String, worker: String, until: Date, now: Date) async throws -> Bool
    /// Marks a job done (again harmlessly, if its own step already did).
    func completeJob(id: String, now: Date) async throws
    /// The jobs about one subject, oldest first.
    func jobs(subject: String) async throws -> [JobRecord]
    /// Jobs in `status`, of `kind` when given, most recently enqueued first, at most `limit`. The `.failed` ones are
    /// the dead letters: given up after a permanent error or their last attempt, kept with their last error.
    func jobs(status: JobStatus, kind: JobKind?, limit: Int) async throws -> [JobRecord]
    /// Puts a failed job (a dead letter) back in the queue, due at `now`, its attempts counted from zero again and its
    /// last error kept; false when the job does not exist or is not failed.
    func requeueJob(id: String, now: Date) async throws -> Bool
}

extension JobQueue {
    /// Leases the next claimable job of `kinds` (any kind when nil), in fair order.
    public func claimJob(kinds: Set<JobKind>?, now: Date, leaseUntil: Date, worker: String) async throws -> JobRecord? {
        try await claimJobs(kinds: kinds, limit: 1, now: now, leaseUntil: leaseUntil, worker: worker).first
    }

    /// Leases the next due job of any kind.
    public func claimJob(now: Date, leaseUntil: Date, worker: String) async throws -> JobRecord? {
        try await claimJob(kinds: nil, now: now, leaseUntil: leaseUntil, worker: worker)
    }
}
