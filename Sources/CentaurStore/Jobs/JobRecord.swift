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
        case id, kind, subject, payload, status, attempts
        case maxAttempts = "max_attempts", runAfter = "run_after"
        case leaseUntil = "lease_until", leasedBy = "leased_by", lastError = "last_error"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    public init(id: String, kind: JobKind, subject: String, payload: String = "{}", status: JobStatus = .queued, attempts: Int = 0,
                maxAttempts: Int = 5, runAfter: Date, leaseUntil: Date? = nil, leasedBy: String? = nil, lastError: String? = nil,
                createdAt: Date, updatedAt: Date) {
        self.id = id; self.kind = kind; self.subject = subject; self.payload = payload; self.status = status; self.attempts = attempts
        self.maxAttempts = maxAttempts; self.runAfter = runAfter; self.leaseUntil = leaseUntil; self.leasedBy = leasedBy
        self.lastError = lastError; self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

/// Durable background work. Jobs are enqueued on their own (``enqueue(_:)``) or by a committed workflow step
/// (`WorkflowChange.jobs`), and leased by workers (``JobWorker``).
public protocol JobQueue: Sendable {
    /// Adds jobs.
    func enqueue(_ jobs: [JobRecord]) async throws
    /// Leases the next due job of one of `kinds` (any kind when nil) — queued and due, or running with an expired
    /// lease — to `worker` until `leaseUntil`, counting the attempt. Due jobs are taken oldest `runAfter` first.
    func claimJob(kinds: Set<JobKind>?, now: Date, leaseUntil: Date, worker: String) async throws -> JobRecord?
    /// Puts a failed job back in the queue after `retryAt`, or marks it failed when `retryAt` is nil.
    func failJob(id: String, error: String, retryAt: Date?, now: Date) async throws
    /// Extends the lease of a job `worker` still holds (running, leased by it) to `until` — the worker's heartbeat.
    /// False when the job is no longer its own (done, failed, or taken over after the lease ran out).
    func renewLease(id: String, worker: String, until: Date, now: Date) async throws -> Bool
    /// Marks a job done (again harmlessly, if its own step already did).
    func completeJob(id: String, now: Date) async throws
    /// The jobs about one subject, oldest first.
    func jobs(subject: String) async throws -> [JobRecord]
}

extension JobQueue {
    /// Leases the next due job of any kind.
    public func claimJob(now: Date, leaseUntil: Date, worker: String) async throws -> JobRecord? {
        try await claimJob(kinds: nil, now: now, leaseUntil: leaseUntil, worker: worker)
    }
}
