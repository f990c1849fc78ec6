import CentaurStore
import Foundation
import GRDB

extension ApplicationState: DatabaseValueConvertible {}
extension ApplicationRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "application" }
extension DocumentRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "document" }
extension ExtractionRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "extraction" }
extension AdjustmentRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "adjustment" }
extension CheckRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "rule_check" }
extension DecisionRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "decision" }
extension LabelledExampleRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "labelled_example" }
extension AuditEntry: FetchableRecord, PersistableRecord { public static let databaseTableName = "audit_entry" }

extension SQLiteStore {
    /// An application's state and a rule check's outcome are `ApplicationState` values. SQLite cannot add a CHECK to a
    /// table that exists, so triggers refuse anything else on insert and update (a new state needs a migration that
    /// drops and recreates them with the longer list).
    static func checkWorkflowStates(_ db: Database) throws {
        let states = ApplicationState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        for (table, column) in [("application", "state"), ("rule_check", "outcome")] {
            for (event, suffix) in [("INSERT", "insert"), ("UPDATE OF \(column)", "update")] {
                try db.execute(sql: """
                    CREATE TRIGGER \(table)_\(column)_\(suffix) BEFORE \(event) ON \(table)
                    WHEN NEW.\(column) NOT IN (\(states))
                    BEGIN SELECT RAISE(ABORT, '\(table).\(column) must be an application state'); END
                    """)
            }
        }
    }

    static func createWorkflow(_ db: Database) throws {
        try db.create(table: "application") { t in
            t.primaryKey("id", .text)
            t.column("state", .text).notNull().indexed()
            t.column("token_hash", .text).notNull().unique()
            t.column("market_state", .text)
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime).notNull()
            t.column("version", .integer).notNull().check { $0 >= 1 }
            t.column("risk", .integer).notNull()
            t.column("reasons", .jsonText).notNull()
            t.column("assignee", .text)
            t.column("last_error", .text)
        }
        try db.create(table: "document") { t in
            t.primaryKey("id", .text)
            t.column("application_id", .text).notNull().indexed().references("application")
            t.column("sha256", .text).notNull()
            t.column("kind", .text).notNull()
            t.column("name", .text).notNull()
            t.column("media_type", .text).notNull()
            t.column("size", .integer).notNull()
            t.column("uploaded_at", .datetime).notNull()
            t.column("superseded", .boolean).notNull()
        }
        try db.create(table: "extraction") { t in
            t.primaryKey("id", .text)
            t.column("application_id", .text).notNull().indexed().references("application")
            t.column("created_at", .datetime).notNull()
            t.column("documents", .jsonText).notNull()
            t.column("document_ids", .jsonText).notNull()
        }
        try db.create(table: "adjustment") { t in
            t.primaryKey("id", .text)
            t.column("application_id", .text).notNull().indexed().references("application")
            t.column("extraction_id", .text).notNull().references("extraction")
            t.column("document_type", .text).notNull()
            t.column("field", .text).notNull()
            t.column("before", .jsonText).notNull()
            t.column("after", .jsonText).notNull()
            t.column("kind", .text).notNull().check { ["applicant", "reviewer"].contains($0) }
            t.column("actor", .text).notNull()
            t.column("reason", .text)
            t.column("high_risk", .boolean).notNull()
            t.column("created_at", .datetime).notNull()
        }
        try db.create(table: "rule_check") { t in
            t.primaryKey("id", .text)
            t.column("application_id", .text).notNull().indexed().references("application")
            t.column("extraction_id", .text).notNull().references("extraction")
            t.column("rule_set", .text).notNull()
            t.column("rule_set_version", .integer).notNull()
            t.column("results", .jsonText).notNull()
            t.column("outcome", .text).notNull()
            t.column("reasons", .jsonText).notNull()
            t.column("created_at", .datetime).notNull()
        }
        try db.create(table: "decision") { t in
            t.primaryKey("id", .text)
            t.column("application_id", .text).notNull().indexed().references("application")
            t.column("decision", .text).notNull().check { ["approve", "reject", "request_resubmission"].contains($0) }
            t.column("reason", .text).notNull().check { length($0) > 0 }
            t.column("actor", .text).notNull()
            t.column("created_at", .datetime).notNull()
        }
        try db.create(table: "labelled_example") { t in
            t.primaryKey("id", .text)
            t.column("application_id", .text).notNull().indexed().references("application")
            t.column("documents", .jsonText).notNull()
            t.column("document_type", .text).notNull().indexed()
            t.column("schema_version", .integer).notNull()
            t.column("field", .text).notNull()
            t.column("chosen_source", .text).notNull()
            t.column("model", .text)
            t.column("prompt_version", .text)
            t.column("model_value", .jsonText).notNull()
            t.column("human_value", .jsonText).notNull()
            t.column("right_sources", .jsonText).notNull()
            t.column("kind", .text).notNull()
            t.column("actor", .text).notNull()
            t.column("created_at", .datetime).notNull()
        }
        try db.create(table: "job") { t in
            t.primaryKey("id", .text)
            t.column("kind", .text).notNull()
            t.column("application_id", .text).notNull().indexed().references("application")
            t.column("status", .text).notNull().check { JobStatus.allCases.map(\.rawValue).contains($0) }
            t.column("attempts", .integer).notNull()
            t.column("max_attempts", .integer).notNull()
            t.column("run_after", .datetime).notNull()
            t.column("lease_until", .datetime)
            t.column("leased_by", .text)
            t.column("last_error", .text)
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime).notNull()
        }
        try db.create(index: "job_due", on: "job", columns: ["status", "run_after"])
        // Append-only: rowid order is storage order, so a reordering shows; seq numbers the chain.
        try db.create(table: "audit_entry") { t in
            t.column("seq", .integer).notNull().unique()
            t.column("at", .text).notNull()
            t.column("actor", .text).notNull()
            t.column("action", .text).notNull()
            t.column("target", .text).notNull().indexed()
            t.column("before", .text)
            t.column("after", .text)
            t.column("previous_hash", .text).notNull()
            t.column("hash", .text).notNull()
        }
        try db.create(table: "audit_head") { t in
            t.primaryKey("id", .integer).check { $0 == 1 }
            t.column("seq", .integer).notNull()
            t.column("hash", .text).notNull()
        }
        // The database refuses to change or remove audit rows; tampering needs to bypass it (and is then detected).
        try db.execute(sql: """
            CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
            CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
            """)
    }
}

extension SQLiteStore: ApplicationStore, AuditLog, LabelledExampleStore {
    public func commit(_ change: WorkflowChange) async throws -> [AuditEntry] {
        try await pool.write { db in
            if let expected = change.expectedVersion {
                var row = change.application
                row.version = expected + 1
                try db.execute(
                    sql: """
                        UPDATE application SET state = ?, market_state = ?, updated_at = ?, version = ?, risk = ?, reasons = ?,
                            assignee = ?, last_error = ? WHERE id = ? AND version = ?
                        """,
                    arguments: [row.state, row.marketState, row.updatedAt, row.version, row.risk, row.reasons, row.assignee,
                                row.lastError, row.id, expected])
                guard db.changesCount == 1 else { throw WorkflowConflict(applicationID: row.id) }
            } else {
                try change.application.insert(db)
            }
            if !change.supersede.isEmpty {
                try db.execute(sql: "UPDATE document SET superseded = 1 WHERE id IN (\(change.supersede.map { _ in "?" }.joined(separator: ",")))",
                               arguments: StatementArguments(change.supersede))
            }
            for document in change.documents { try document.insert(db) }
            try change.extraction?.insert(db)
            for adjustment in change.adjustments { try adjustment.insert(db) }
            try change.check?.insert(db)
            try change.decision?.insert(db)
            for example in change.examples { try example.insert(db) }
            for job in change.jobs { try Self.insertJob(job, db) }
            if let job = change.completesJob {
                try db.execute(sql: "UPDATE job SET status = 'done', lease_until = NULL, updated_at = ? WHERE id = ?",
                               arguments: [change.application.updatedAt, job])
            }
            return try Self.appendAudit(change.audit, at: change.application.updatedAt, db: db)
        }
    }

    static func appendAudit(_ drafts: [AuditDraft], at date: Date, db: Database) throws -> [AuditEntry] {
        guard !drafts.isEmpty else { return [] }
        let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE id = 1").map { (seq: $0["seq"] as Int, hash: $0["hash"] as String) }
        let written = AuditEntry.chain(drafts, after: head, at: date)
        for entry in written { try entry.insert(db) }
        let newest = written[written.count - 1]
        try db.execute(sql: "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                       arguments: [newest.seq, newest.hash])
        return written
    }

    public func application(id: String) async throws -> ApplicationRecord? {
        try await pool.read { db in try ApplicationRecord.fetchOne(db, key: id) }
    }

    public func application(tokenHash: String) async throws -> ApplicationRecord? {
        try await pool.read { db in try ApplicationRecord.fetchOne(db, sql: "SELECT * FROM application WHERE token_hash = ?", arguments: [tokenHash]) }
    }

    public func applications(states: [ApplicationState], limit: Int) async throws -> [ApplicationRecord] {
        try await pool.read { db in
            if states.isEmpty {
                return try ApplicationRecord.fetchAll(db, sql: "SELECT * FROM application ORDER BY created_at, id LIMIT ?", arguments: [limit])
            }
            let marks = states.map { _ in "?" }.joined(separator: ",")
            return try ApplicationRecord.fetchAll(
                db, sql: "SELECT * FROM application WHERE state IN (\(marks)) ORDER BY created_at, id LIMIT ?",
                arguments: StatementArguments(states) + [limit])
        }
    }

    public func documents(applicationID: String) async throws -> [DocumentRecord] {
        try await pool.read { db in
            try DocumentRecord.fetchAll(db, sql: "SELECT * FROM document WHERE application_id = ? ORDER BY uploaded_at, rowid", arguments: [applicationID])
        }
    }

    public func latestExtraction(applicationID: String) async throws -> ExtractionRecord? {
        try await pool.read { db in
            try ExtractionRecord.fetchOne(db, sql: "SELECT * FROM extraction WHERE application_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1", arguments: [applicationID])
        }
    }

    public func adjustments(applicationID: String) async throws -> [AdjustmentRecord] {
        try await pool.read { db in
            try AdjustmentRecord.fetchAll(db, sql: "SELECT * FROM adjustment WHERE application_id = ? ORDER BY created_at, rowid", arguments: [applicationID])
        }
    }

    public func latestCheck(applicationID: String) async throws -> CheckRecord? {
        try await pool.read { db in
            try CheckRecord.fetchOne(db, sql: "SELECT * FROM rule_check WHERE application_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1", arguments: [applicationID])
        }
    }

    public func decisions(applicationID: String) async throws -> [DecisionRecord] {
        try await pool.read { db in
            try DecisionRecord.fetchAll(db, sql: "SELECT * FROM decision WHERE application_id = ? ORDER BY created_at, rowid", arguments: [applicationID])
        }
    }

    public func examples(documentType: String?) async throws -> [LabelledExampleRecord] {
        try await pool.read { db in
            if let documentType {
                return try LabelledExampleRecord.fetchAll(db, sql: "SELECT * FROM labelled_example WHERE document_type = ? ORDER BY created_at, rowid", arguments: [documentType])
            }
            return try LabelledExampleRecord.fetchAll(db, sql: "SELECT * FROM labelled_example ORDER BY created_at, rowid")
        }
    }

    public func auditEntries(target: String?) async throws -> [AuditEntry] {
        try await pool.read { db in
            if let target {
                return try AuditEntry.fetchAll(db, sql: "SELECT * FROM audit_entry WHERE target = ? ORDER BY rowid", arguments: [target])
            }
            return try AuditEntry.fetchAll(db, sql: "SELECT * FROM audit_entry ORDER BY rowid")
        }
    }

    public func auditHead() async throws -> (seq: Int, hash: String)? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE id = 1") else { return nil }
            return (row["seq"], row["hash"])
        }
    }
}
