import CentaurStore
import Foundation
import GRDB

extension JobRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "job" }
extension JobKind: DatabaseValueConvertible {}
extension JobStatus: DatabaseValueConvertible {}

extension SQLiteStore: JobQueue {
    /// Jobs of any kind about any subject: the extraction-only table of 0004 rebuilt with a subject instead of an
    /// application reference, and a JSON payload. Rows keep their order.
    static func generalizeJobs(_ db: Database) throws {
        try db.create(table: "job_new") { t in
            t.primaryKey("id", .text)
            t.column("kind", .text).notNull()
            t.column("subject", .text).notNull().indexed()
            t.column("payload", .jsonText).notNull()
            t.column("status", .text).notNull().check { JobStatus.allCases.map(\.rawValue).contains($0) }
            t.column("attempts", .integer).notNull().check { $0 >= 0 }
            t.column("max_attempts", .integer).notNull().check { $0 >= 1 }
            t.column("run_after", .datetime).notNull()
            t.column("lease_until", .datetime)
            t.column("leased_by", .text)
            t.column("last_error", .text)
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime).notNull()
        }
        try db.execute(sql: """
            INSERT INTO job_new (id, kind, subject, payload, status, attempts, max_attempts, run_after, lease_until, leased_by,
                                 last_error, created_at, updated_at)
            SELECT id, kind, application_id, '{}', status, attempts, max_attempts, run_after, lease_until, leased_by, last_error,
                   created_at, updated_at FROM job ORDER BY rowid
            """)
        try db.drop(table: "job")
        try db.rename(table: "job_new", to: "job")
        try db.create(index: "job_due", on: "job", columns: ["status", "run_after"])
    }

    /// Fair claims (``JobTurns``): each job gets a tenant and a turn, and the unfinished jobs are indexed by turn (what
    /// claims read in order) and by lane (what enqueuing reads). Jobs already queued keep turn 0, ahead of new ones.
    static func addJobLanes(_ db: Database) throws {
        try db.alter(table: "job") { t in
            t.add(column: "tenant", .text).notNull().defaults(to: "")
            t.add(column: "turn", .integer).notNull().defaults(to: 0)
        }
        try db.execute(sql: "CREATE INDEX job_fair ON job (turn, run_after) WHERE status IN ('queued', 'running')")
        try db.execute(sql: "CREATE INDEX job_lane ON job (kind, tenant, turn) WHERE status IN ('queued', 'running')")
    }

    /// Inserts a job with its turn (``JobTurns``), inside the caller's write.
    static func insertJob(_ job: JobRecord, _ db: Database) throws {
        var job = job
        let laneHighest = try Int64.fetchOne(db, sql: """
            SELECT MAX(turn) FROM job WHERE kind = ? AND tenant = ? AND status IN ('queued', 'running')
            """, arguments: [job.kind, job.tenant])
        let frontier = try Int64.fetchOne(db, sql: """
            SELECT MIN(turn) FROM job WHERE status IN ('queued', 'running') AND status = 'queued' AND run_after <= ?
            """, arguments: [job.createdAt])
        job.turn = JobTurns.next(laneHighest: laneHighest, frontier: frontier)
        try job.insert(db)
    }

    public func enqueue(_ jobs: [JobRecord]) async throws {
        guard !jobs.isEmpty else { return }
        try await pool.write { db in for job in jobs { try Self.insertJob(job, db) } }
    }

    public func jobs(status: JobStatus, kind: JobKind?, limit: Int) async throws -> [JobRecord] {
        try await pool.read { db in
            if let kind {
                return try JobRecord.fetchAll(db, sql: "SELECT * FROM job WHERE status = ? AND kind = ? ORDER BY rowid DESC LIMIT ?",
                                              arguments: [status, kind, max(0, limit)])
            }
            return try JobRecord.fetchAll(db, sql: "SELECT * FROM job WHERE status = ? ORDER BY rowid DESC LIMIT ?", arguments: [status, max(0, limit)])
        }
    }

    public func requeueJob(id: String, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE job SET status = 'queued', attempts = 0, run_after = ?, lease_until = NULL, leased_by = NULL, updated_at = ?
                WHERE id = ? AND status = 'failed'
                """, arguments: [now, now, id])
            return db.changesCount > 0
        }
    }

    public func claimJobs(kinds: Set<JobKind>?, limit: Int, now: Date, leaseUntil: Date, worker: String) async throws -> [JobRecord] {
        guard limit > 0 else { return [] }
        var filter = ""
        var arguments: StatementArguments = [now, now]
        if let kinds {
            guard !kinds.isEmpty else { return [] }
            filter = "AND kind IN (\(kinds.map { _ in "?" }.joined(separator: ",")))"
            arguments += StatementArguments(kinds.map(\.rawValue).sorted())
        }
        let sql = """
            SELECT * FROM job
            WHERE status IN ('queued', 'running')
                AND ((status = 'queued' AND run_after <= ?) OR (status = 'running' AND lease_until < ?)) \(filter)
            ORDER BY turn, run_after, rowid LIMIT \(limit)
            """
        let statementArguments = arguments
        return try await pool.write { db in
            try JobRecord.fetchAll(db, sql: sql, arguments: statementArguments).map { job in
                var job = job
                job.status = .running
                job.attempts += 1
                job.leaseUntil = leaseUntil
                job.leasedBy = worker
                job.updatedAt = now
                try job.update(db)
                return job
            }
        }
    }

    public func failJob(id: String, error: String, retryAt: Date?, now: Date) async throws {
        try await pool.write { db in
            if let retryAt {
                try db.execute(sql: "UPDATE job SET status = 'queued', run_after = ?, lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?",
                               arguments: [retryAt, error, now, id])
            } else {
                try db.execute(sql: "UPDATE job SET status = 'failed', lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?",
                               arguments: [error, now, id])
            }
        }
    }

    public func renewLease(id: String, worker: String, until: Date, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE job SET lease_until = ?, updated_at = ? WHERE id = ? AND status = 'running' AND leased_by = ?",
                           arguments: [until, now, id, worker])
            return db.changesCount == 1
        }
    }

    public func completeJob(id: String, now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE job SET status = 'done', lease_until = NULL, updated_at = ? WHERE id = ?", arguments: [now, id])
        }
    }

    public func jobs(subject: String) async throws -> [JobRecord] {
        try await pool.read { db in
            try JobRecord.fetchAll(db, sql: "SELECT * FROM job WHERE subject = ? ORDER BY created_at, rowid", arguments: [subject])
        }
    }
}
