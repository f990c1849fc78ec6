import CentaurSQLite
import CentaurExtraction
import CentaurReview
import CentaurRules
import CentaurStore
import CentaurTestSupport
import Foundation
import GRDB
import Testing

@Suite("The hash-chained audit log")
struct AuditLogTests {
    /// Five applications created: five audit entries.
    static func log() async throws -> SQLiteStore {
        let (service, store) = try SQLiteFixtures.service()
        for _ in 0..<5 { _ = try await service.create(marketState: "IL") }
        return store
    }

    static func verify(_ store: SQLiteStore) async throws -> AuditVerification {
        AuditVerification.verify(try await store.auditEntries(target: nil), head: try await store.auditHead())
    }

    /// Tampering needs the append-only triggers gone first, as an attacker with the file would do.
    static func tamper(_ store: SQLiteStore, _ sql: String) throws {
        try store.pool.write { db in
            try db.execute(sql: "DROP TRIGGER audit_entry_no_update; DROP TRIGGER audit_entry_no_delete")
            try db.execute(sql: sql)
        }
    }

    @Test("an untouched log verifies; entries chain from the genesis hash")
    func untouched() async throws {
        let store = try await Self.log()
        let entries = try await store.auditEntries(target: nil)
        #expect(entries.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(entries[0].previousHash == AuditEntry.genesisHash)
        #expect(entries[1].previousHash == entries[0].hash)
        let result = try await Self.verify(store)
        #expect(result.valid && result.entries == 5 && result.headHash == entries[4].hash)
    }

    @Test("the database refuses updates and deletes of audit rows")
    func appendOnly() async throws {
        let store = try await Self.log()
        #expect(throws: DatabaseError.self) { try store.pool.write { db in try db.execute(sql: "UPDATE audit_entry SET actor = 'x' WHERE seq = 2") } }
        #expect(throws: DatabaseError.self) { try store.pool.write { db in try db.execute(sql: "DELETE FROM audit_entry WHERE seq = 2") } }
        #expect(try await Self.verify(store).valid)
    }

    @Test("an edited entry is named")
    func edit() async throws {
        let store = try await Self.log()
        try Self.tamper(store, "UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 3")
        let result = try await Self.verify(store)
        #expect(!result.valid)
        #expect(result.firstBadSeq == 3)
        #expect(result.problem?.contains("edited") == true)
    }

    @Test("an edit that recomputes the entry's own hash still breaks the next link")
    func rehashedEdit() async throws {
        let store = try await Self.log()
        var entry = try #require(try await store.auditEntries(target: nil).first { $0.seq == 2 })
        entry.actor = "forger"
        let forged = entry.expectedHash
        try Self.tamper(store, "UPDATE audit_entry SET actor = 'forger', hash = '\(forged)' WHERE seq = 2")
        let result = try await Self.verify(store)
        #expect(!result.valid && result.firstBadSeq == 3)
    }

    @Test("a deleted entry is named, in the middle and at the end")
    func deletion() async throws {
        let middle = try await Self.log()
        try Self.tamper(middle, "DELETE FROM audit_entry WHERE seq = 3")
        let result = try await Self.verify(middle)
        #expect(!result.valid && result.firstBadSeq == 3)

        let end = try await Self.log()
        try Self.tamper(end, "DELETE FROM audit_entry WHERE seq = 5")
        let tail = try await Self.verify(end)
        #expect(!tail.valid && tail.firstBadSeq == 5)
        #expect(tail.problem?.contains("deleted") == true)
    }

    @Test("an emptied log, or one cut short with its head rewritten, fails against the applications and decisions it should hold")
    func truncation() async throws {
        // Emptied: every entry and the head deleted while five applications remain.
        let emptied = try await Self.log()
        try Self.tamper(emptied, "DELETE FROM audit_entry; DELETE FROM audit_head")
        #expect(try await Self.verify(emptied).valid, "the chain alone cannot see it (the probing's finding)")
        let result = try await AuditVerification.verify(store: emptied)
        #expect(!result.valid && result.problem?.contains("empty but 5 application(s) exist") == true, "\(result)")

        // Cut short: the last two entries deleted and the head rewritten to the new end.
        let cut = try await Self.log()
        let entries = try await cut.auditEntries(target: nil)
        try Self.tamper(cut, "DELETE FROM audit_entry WHERE seq > 3; UPDATE audit_head SET seq = 3, hash = '\(entries[2].hash)'")
        #expect(try await Self.verify(cut).valid)
        let cutResult = try await AuditVerification.verify(store: cut)
        #expect(!cutResult.valid && cutResult.problem?.contains("no application.created entry") == true, "\(cutResult)")

        // Anchored: a head kept elsewhere catches any rewrite of the tail.
        let anchored = try await Self.log()
        let head = try #require(try await anchored.auditHead())
        let anchor = AuditVerification.Anchor(seq: head.seq, hash: head.hash)
        #expect(AuditVerification.Anchor(anchor.description) == anchor)
        #expect(AuditVerification.Anchor("5:nothex") == nil)
        #expect(try await AuditVerification.verify(store: anchored, anchor: anchor).valid)
        try Self.tamper(anchored, "DELETE FROM audit_entry WHERE seq = 5; UPDATE audit_head SET seq = 4, hash = '\(try await anchored.auditEntries(target: nil)[3].hash)'")
        let anchoredResult = try await AuditVerification.verify(store: anchored, anchor: anchor)
        #expect(!anchoredResult.valid && anchoredResult.problem?.contains("anchored head") == true, "\(anchoredResult)")
    }

    @Test("reordered entries are detected")
    func reorder() async throws {
        let store = try await Self.log()
        // Swap the contents of rows 2 and 4 (storage order is rowid order).
        try Self.tamper(store, """
            CREATE TEMP TABLE swap AS SELECT * FROM audit_entry WHERE seq IN (2, 4);
            DELETE FROM audit_entry WHERE seq IN (2, 4);
            INSERT INTO audit_entry (rowid, seq, at, actor, action, target, before, after, previous_hash, hash)
                SELECT CASE seq WHEN 2 THEN 4 ELSE 2 END, seq, at, actor, action, target, before, after, previous_hash, hash FROM swap;
            """)
        let result = try await Self.verify(store)
        #expect(!result.valid && result.firstBadSeq == 2)
    }
}

@Suite("The durable job queue")
struct JobQueueTests {
    static func job(_ store: SQLiteStore, now: Date) async throws -> JobRecord {
        let application = ApplicationRecord(id: "app_1", state: .uploaded, tokenHash: "h", marketState: nil, createdAt: now, updatedAt: now)
        let job = JobRecord(id: "job_1", kind: .extraction, subject: "app_1", maxAttempts: 3, runAfter: now, createdAt: now, updatedAt: now)
        var change = WorkflowChange(application: application, expectedVersion: nil)
        change.jobs = [job]
        try await store.commit(change)
        return job
    }

    @Test("a leased job is not handed out twice; a dead worker's job is taken over when its lease ends")
    func leases() async throws {
        let directory = temporaryDirectory("centaur-audit")
        let (_, store) = try SQLiteFixtures.service(directory: directory)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try await Self.job(store, now: start)
        let first = try #require(try await store.claimJob(now: start, leaseUntil: start + 60, worker: "a"))
        #expect(first.status == .running && first.attempts == 1 && first.leasedBy == "a")
        #expect(try await store.claimJob(now: start + 30, leaseUntil: start + 90, worker: "b") == nil)

        // Worker a dies (nothing more is written); a new process opens the same file.
        let reopened = try SQLiteStore(path: directory.appendingPathComponent("centaur.sqlite").path)
        let taken = try #require(try await reopened.claimJob(now: start + 61, leaseUntil: start + 121, worker: "b"))
        #expect(taken.id == first.id && taken.attempts == 2 && taken.leasedBy == "b")
    }

    @Test("a failed job waits for its retry time; a job given up stays failed")
    func retries() async throws {
        let (_, store) = try SQLiteFixtures.service()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let job = try await Self.job(store, now: start)
        _ = try await store.claimJob(now: start, leaseUntil: start + 60, worker: "a")
        try await store.failJob(id: job.id, error: "tesseract crashed", retryAt: start + 4, now: start + 1)
        #expect(try await store.claimJob(now: start + 2, leaseUntil: start + 62, worker: "a") == nil)
        let retried = try #require(try await store.claimJob(now: start + 5, leaseUntil: start + 65, worker: "a"))
        #expect(retried.attempts == 2 && retried.lastError == "tesseract crashed")
        try await store.failJob(id: job.id, error: "still broken", retryAt: nil, now: start + 6)
        #expect(try await store.claimJob(now: start + 1000, leaseUntil: start + 1060, worker: "a") == nil)
        #expect(try await store.jobs(subject: "app_1").first?.status == .failed)
    }
}

/// The onboarding service over a SQLite file: the audit log's tamper checks and the job queue's leases need the real
/// database (its triggers, its reopening).
enum SQLiteFixtures {
    static func service(directory: URL = temporaryDirectory("centaur-audit"),
                        pipeline: DocumentPipeline = DocumentPipeline(modelUse: .never)) throws -> (OnboardingService, SQLiteStore) {
        let store = try SQLiteStore(path: directory.appendingPathComponent("centaur.sqlite").path)
        let service = OnboardingService(store: store, blobs: FileBlobStore(root: directory.appendingPathComponent("blobs")),
                                        ruleSet: try RuleSet.builtIn(named: "driver-onboarding"), pipeline: pipeline)
        return (service, store)
    }
}
