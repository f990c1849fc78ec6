import CentaurStore
import Foundation
import PostgresNIO

/// Applications and what each step stored about them. The rows a step adds (documents, extractions, adjustments,
/// checks, decisions) share one table, `application_row`, keyed by kind; the audit log is chained under an advisory
/// lock, so appends from several replicas take their turns and the chain stays whole.
extension PostgresStore: ApplicationStore, AuditLog, LabelledExampleStore {
    enum RowKind: String {
        case document, extraction, adjustment, check, decision
    }


    public func commit(_ change: WorkflowChange) async throws -> [AuditEntry] {
        try await transaction { connection in
            var row = change.application
            if let expected = change.expectedVersion {
                // A step changes the application's state and working fields; when it was made and its link token stay.
                guard let stored = try await records(ApplicationRecord.self, """
                    SELECT record::text FROM application WHERE id = \(row.id) AND version = \(expected) FOR UPDATE
                    """, on: connection).first else { throw WorkflowConflict(applicationID: row.id) }
                row.createdAt = stored.createdAt
                row.tokenHash = stored.tokenHash
                row.version = expected + 1
                let updated = try await execute("""
                    UPDATE application SET state = \(row.state.rawValue), version = \(row.version), record = \(try Self.json(row))::jsonb
                    WHERE id = \(row.id) AND version = \(expected) RETURNING 1
                    """, on: connection)
                guard updated == 1 else { throw WorkflowConflict(applicationID: row.id) }
            } else {
                try await execute("""
                    INSERT INTO application (id, token_hash, created_at, state, version, record)
                    VALUES (\(row.id), \(row.tokenHash), \(Self.seconds(row.createdAt)), \(row.state.rawValue), \(row.version), \(try Self.json(row))::jsonb)
                    """, on: connection)
            }
            for id in change.supersede {
                guard var document = try await records(DocumentRecord.self, """
                    SELECT record::text FROM application_row WHERE kind = 'document' AND id = \(id) FOR UPDATE
                    """, on: connection).first else { continue }
                document.superseded = true
                try await execute("UPDATE application_row SET record = \(try Self.json(document))::jsonb WHERE kind = 'document' AND id = \(id)",
                                  on: connection)
            }
            for document in change.documents { try await insertRow(.document, document.id, row.id, document, on: connection) }
            if let extraction = change.extraction { try await insertRow(.extraction, extraction.id, row.id, extraction, on: connection) }
            for adjustment in change.adjustments { try await insertRow(.adjustment, adjustment.id, row.id, adjustment, on: connection) }
            if let check = change.check { try await insertRow(.check, check.id, row.id, check, on: connection) }
            if let decision = change.decision { try await insertRow(.decision, decision.id, row.id, decision, on: connection) }
            for example in change.examples {
                try await execute("""
                    INSERT INTO labelled_example (id, document_type, record) VALUES (\(example.id), \(example.documentType), \(try Self.json(example))::jsonb)
                    """, on: connection)
            }
            for job in change.jobs { try await insertJob(job, on: connection) }
            if let job = change.completesJob { try await finishJob(job, now: row.updatedAt, on: connection) { $0.status = .done } }
            return try await appendAudit(change.audit, at: row.updatedAt, on: connection)
        }
    }

    private func insertRow(_ kind: RowKind, _ id: String, _ applicationID: String, _ record: some Encodable,
                           on connection: PostgresConnection) async throws {
        try await execute("""
            INSERT INTO application_row (kind, id, application_id, record) VALUES (\(kind.rawValue), \(id), \(applicationID), \(try Self.json(record))::jsonb)
            """, on: connection)
    }

    private func appendAudit(_ drafts: [AuditDraft], at date: Date, on connection: PostgresConnection) async throws -> [AuditEntry] {
        guard !drafts.isEmpty else { return [] }
        // The append lock (`pg_advisory_xact_lock`), keyed by schema: one writer at a time extends the chain.
        try await execute("SELECT pg_advisory_xact_lock(hashtext(\("centaur-audit:" + schema)))", on: connection)
        var head: (seq: Int, hash: String)?
        for try await (seq, hash) in try await connection.query("SELECT seq, hash FROM audit_head WHERE id = 1", logger: logger).decode((Int, String).self) {
            head = (seq, hash)
        }
        let written = AuditEntry.chain(drafts, after: head, at: date)
        for entry in written {
            try await execute("INSERT INTO audit_entry (seq, target, record) VALUES (\(entry.seq), \(entry.target), \(try Self.json(entry))::jsonb)",
                              on: connection)
        }
        let newest = written[written.count - 1]
        try await execute("""
            INSERT INTO audit_head (id, seq, hash) VALUES (1, \(newest.seq), \(newest.hash))
            ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
            """, on: connection)
        return written
    }

    public func application(id: String) async throws -> ApplicationRecord? {
        try await records(ApplicationRecord.self, "SELECT record::text FROM application WHERE id = \(id)").first
    }

    public func application(tokenHash: String) async throws -> ApplicationRecord? {
        try await records(ApplicationRecord.self, "SELECT record::text FROM application WHERE token_hash = \(tokenHash)").first
    }

    public func applications(states: [ApplicationState], limit: Int) async throws -> [ApplicationRecord] {
        if states.isEmpty {
            return try await records(ApplicationRecord.self, "SELECT record::text FROM application ORDER BY created_at, id LIMIT \(limit)")
        }
        return try await records(ApplicationRecord.self, """
            SELECT record::text FROM application WHERE state = ANY(\(states.map(\.rawValue))) ORDER BY created_at, id LIMIT \(limit)
            """)
    }

    /// The rows of one kind, in the order the SQLite backend gives them: by their time, then as stored.
    private func rows<T: Decodable>(_ kind: RowKind, _ type: T.Type, applicationID: String, time: String, latest: Bool = false) async throws -> [T] {
        let order = latest ? "(record->>'\(time)')::double precision DESC, pos DESC LIMIT 1" : "(record->>'\(time)')::double precision, pos"
        var binds = PostgresBindings()
        binds.append(applicationID)
        binds.append(kind.rawValue)
        return try await records(type, PostgresQuery(
            unsafeSQL: "SELECT record::text FROM application_row WHERE application_id = $1 AND kind = $2 ORDER BY \(order)", binds: binds))
    }

    public func documents(applicationID: String) async throws -> [DocumentRecord] {
        try await rows(.document, DocumentRecord.self, applicationID: applicationID, time: "uploaded_at")
    }

    public func latestExtraction(applicationID: String) async throws -> ExtractionRecord? {
        try await rows(.extraction, ExtractionRecord.self, applicationID: applicationID, time: "created_at", latest: true).first
    }

    public func adjustments(applicationID: String) async throws -> [AdjustmentRecord] {
        try await rows(.adjustment, AdjustmentRecord.self, applicationID: applicationID, time: "created_at")
    }

    public func latestCheck(applicationID: String) async throws -> CheckRecord? {
        try await rows(.check, CheckRecord.self, applicationID: applicationID, time: "created_at", latest: true).first
    }

    public func decisions(applicationID: String) async throws -> [DecisionRecord] {
        try await rows(.decision, DecisionRecord.self, applicationID: applicationID, time: "created_at")
    }

    public func auditEntries(target: String?) async throws -> [AuditEntry] {
        if let target { return try await records(AuditEntry.self, "SELECT record::text FROM audit_entry WHERE target = \(target) ORDER BY pos") }
        return try await records(AuditEntry.self, "SELECT record::text FROM audit_entry ORDER BY pos")
    }

    public func auditHead() async throws -> (seq: Int, hash: String)? {
        try await ready()
        for try await (seq, hash) in try await client.query("SELECT seq, hash FROM audit_head WHERE id = 1", logger: logger).decode((Int, String).self) {
            return (seq, hash)
        }
        return nil
    }

    public func examples(documentType: String?) async throws -> [LabelledExampleRecord] {
        if let documentType {
            return try await records(LabelledExampleRecord.self,
                                     "SELECT record::text FROM labelled_example WHERE document_type = \(documentType) ORDER BY (record->>'created_at')::double precision, pos")
        }
        return try await records(LabelledExampleRecord.self, "SELECT record::text FROM labelled_example ORDER BY (record->>'created_at')::double precision, pos")
    }
}

/// Jobs: claimed with `FOR UPDATE SKIP LOCKED`, so workers on several replicas never take the same job, and a job
/// whose lease ran out (its worker died) is taken over. Queuing a job notifies ``jobChannel`` (delivered when its
/// transaction commits), so waiting workers on every replica start at once instead of at their next poll.
extension PostgresStore: JobQueue {
    /// The channel job notifications go to: one per schema, so stores on other schemas are not woken.
    public var jobChannel: String { "centaur_jobs_" + schema }

    /// Inserts a job with its turn (``JobTurns``: after its lane's highest unfinished turn, not below the frontier),
    /// computed in the INSERT from the partial indexes `job_lane` and `job_fair`.
    func insertJob(_ job: JobRecord, on connection: PostgresConnection) async throws {
        let created = Self.seconds(job.createdAt)
        try await execute("""
            INSERT INTO job (id, kind, subject, tenant, turn, status, run_after, lease_until, created_at, record)
            SELECT \(job.id), \(job.kind.rawValue), \(job.subject), \(job.tenant), t.turn, \(job.status.rawValue),
                \(Self.seconds(job.runAfter)), \(job.leaseUntil.map(Self.seconds)), \(created),
                \(try Self.json(job))::jsonb || jsonb_build_object('turn', t.turn)
            FROM (SELECT greatest(
                    (SELECT max(turn) FROM job WHERE kind = \(job.kind.rawValue) AND tenant = \(job.tenant) AND status IN ('queued', 'running')),
                    (SELECT min(turn) - 1 FROM job WHERE status IN ('queued', 'running') AND status = 'queued' AND run_after <= \(created)),
                    0) + 1 AS turn) t
            """, on: connection)
        try await execute("SELECT pg_notify(\(jobChannel), \(job.kind.rawValue))", on: connection)
    }

    /// Calls `wake` for every job queued on any replica, until cancelled; a lost connection is listened on again a
    /// second later (a worker's poll covers the gap).
    public func listenForJobs(_ wake: @escaping @Sendable () -> Void) async throws {
        try await ready()
        let channel = jobChannel
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        wake()  // listening now: anything queued before it is found by the first claim
                        for try await _ in notifications { wake() }
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("job notifications lost; listening again", metadata: ["error": "\(String(reflecting: error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Rewrites a job's row after `change`.
    func finishJob(_ id: String, now: Date, on connection: PostgresConnection, _ change: (inout JobRecord) -> Void) async throws {
        guard var job = try await records(JobRecord.self, "SELECT record::text FROM job WHERE id = \(id) FOR UPDATE", on: connection).first else { return }
        change(&job)
        job.leaseUntil = nil
        job.updatedAt = now
        try await saveJob(job, on: connection)
    }

    private func saveJob(_ job: JobRecord, on connection: PostgresConnection) async throws {
        try await execute("""
            UPDATE job SET status = \(job.status.rawValue), run_after = \(Self.seconds(job.runAfter)), lease_until = \(job.leaseUntil.map(Self.seconds)),
                record = \(try Self.json(job))::jsonb WHERE id = \(job.id)
            """, on: connection)
    }

    public func enqueue(_ jobs: [JobRecord]) async throws {
        guard !jobs.isEmpty else { return }
        try await transaction { connection in for job in jobs { try await insertJob(job, on: connection) } }
    }

    public func jobs(status: JobStatus, kind: JobKind?, limit: Int) async throws -> [JobRecord] {
        try await records(JobRecord.self, """
            SELECT record::text FROM job WHERE status = \(status.rawValue) AND (\(kind?.rawValue)::text IS NULL OR kind = \(kind?.rawValue))
            ORDER BY pos DESC LIMIT \(max(0, limit))
            """)
    }

    /// Notifies ``jobChannel`` too, so a waiting worker on any replica takes the job at once.
    public func requeueJob(id: String, now: Date) async throws -> Bool {
        try await execute("""
            WITH requeued AS (
                UPDATE job SET status = 'queued', run_after = \(Self.seconds(now)), lease_until = NULL,
                    record = (record - 'lease_until' - 'leased_by') || jsonb_build_object('status', 'queued', 'attempts', 0,
                        'run_after', \(now.timeIntervalSinceReferenceDate)::float8, 'updated_at', \(now.timeIntervalSinceReferenceDate)::float8)
                WHERE id = \(id) AND status = 'failed'
                RETURNING kind)
            SELECT pg_notify(\(jobChannel), kind) FROM requeued
            """) > 0
    }

    /// One statement, one round trip: up to `limit` claimable jobs are found in fair order and locked (`FOR UPDATE SKIP
    /// LOCKED`, so concurrent claimers pass over them) and leased in the same UPDATE, which changes the typed columns and
    /// the record together. Record dates are JSON numbers of seconds since 2001 (how `JSONEncoder` writes a `Date`).
    public func claimJobs(kinds: Set<JobKind>?, limit: Int, now: Date, leaseUntil: Date, worker: String) async throws -> [JobRecord] {
        if let kinds, kinds.isEmpty { return [] }
        guard limit > 0 else { return [] }
        let allKinds = kinds.map { $0.map(\.rawValue).sorted() } ?? []
        let time = Self.seconds(now)
        let claimed = try await records(JobRecord.self, """
            UPDATE job SET status = 'running', lease_until = \(Self.seconds(leaseUntil)),
                record = record || jsonb_build_object('status', 'running', 'attempts', (record->>'attempts')::int + 1,
                    'lease_until', \(leaseUntil.timeIntervalSinceReferenceDate)::float8, 'leased_by', \(worker)::text,
                    'updated_at', \(now.timeIntervalSinceReferenceDate)::float8)
            FROM (
                SELECT id FROM job
                WHERE status IN ('queued', 'running')
                    AND ((status = 'queued' AND run_after <= \(time)) OR (status = 'running' AND lease_until < \(time)))
                    AND (cardinality(\(allKinds)::text[]) = 0 OR kind = ANY(\(allKinds)::text[]))
                ORDER BY turn, run_after, pos LIMIT \(limit) FOR UPDATE SKIP LOCKED) picked
            WHERE job.id = picked.id
            RETURNING job.record::text
            """)
        return claimed.sorted(by: JobTurns.precedes)
    }

    public func failJob(id: String, error: String, retryAt: Date?, now: Date) async throws {
        try await transaction { connection in
            try await finishJob(id, now: now, on: connection) { job in
                job.lastError = error
                if let retryAt { job.status = .queued; job.runAfter = retryAt } else { job.status = .failed }
            }
        }
    }

    public func renewLease(id: String, worker: String, until: Date, now: Date) async throws -> Bool {
        try await transaction { connection in
            guard var job = try await records(JobRecord.self, "SELECT record::text FROM job WHERE id = \(id) FOR UPDATE", on: connection).first,
                  job.status == .running, job.leasedBy == worker else { return false }
            job.leaseUntil = until
            job.updatedAt = now
            try await saveJob(job, on: connection)
            return true
        }
    }

    /// One statement: the row's status and its record change together (a single statement is its own transaction).
    public func completeJob(id: String, now: Date) async throws {
        try await execute("""
            UPDATE job SET status = 'done', lease_until = NULL,
                record = (record - 'lease_until') || jsonb_build_object('status', 'done', 'updated_at', \(now.timeIntervalSinceReferenceDate)::float8)
            WHERE id = \(id)
            """)
    }

    public func jobs(subject: String) async throws -> [JobRecord] {
        try await records(JobRecord.self, "SELECT record::text FROM job WHERE subject = \(subject) ORDER BY created_at, pos")
    }
}
