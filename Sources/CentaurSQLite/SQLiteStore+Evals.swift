import CentaurStore
import Foundation
import GRDB

extension EvalRunStatus: DatabaseValueConvertible {}
extension EvalRunRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "eval_run" }
extension EvalResultRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "eval_result" }

extension SQLiteStore: EvalStore {
    static func createEvals(_ db: Database) throws {
        try db.create(table: "eval_run") { t in
            t.primaryKey("id", .text)
            t.column("suite", .text).notNull()
            t.column("description", .text).notNull()
            t.column("started_at", .datetime).notNull().indexed()
            t.column("ended_at", .datetime)
            t.column("status", .text).notNull().check { EvalRunStatus.allCases.map(\.rawValue).contains($0) }
            t.column("summary", .jsonText)
        }
        try db.create(table: "eval_result") { t in
            t.column("run_id", .text).notNull().references("eval_run", onDelete: .cascade)
            t.column("case_id", .text).notNull()
            t.column("provider", .text).notNull()
            t.column("success", .boolean).notNull()
            t.column("score", .double).notNull()
            t.column("cost_usd", .double)
            t.column("latency_ms", .double).notNull()
            t.column("error", .text)
            t.column("detail", .jsonText).notNull()
            t.primaryKey(["run_id", "case_id"])
        }
        try db.create(table: "eval_cache") { t in
            t.primaryKey("key", .text)
            t.column("answer", .jsonText).notNull()
            t.column("created_at", .datetime).notNull()
        }
    }

    public func saveRun(_ run: EvalRunRecord) async throws {
        try await pool.write { db in try run.save(db) }
    }

    public func run(id: String) async throws -> EvalRunRecord? {
        try await pool.read { db in try EvalRunRecord.fetchOne(db, key: id) }
    }

    public func runs(limit: Int) async throws -> [EvalRunRecord] {
        try await pool.read { db in try EvalRunRecord.fetchAll(db, sql: "SELECT * FROM eval_run ORDER BY started_at DESC LIMIT ?", arguments: [limit]) }
    }

    public func insertResults(_ results: [EvalResultRecord]) async throws {
        guard !results.isEmpty else { return }
        try await pool.write { db in for result in results { try result.save(db) } }
    }

    public func results(runID: String) async throws -> [EvalResultRecord] {
        try await pool.read { db in try EvalResultRecord.fetchAll(db, sql: "SELECT * FROM eval_result WHERE run_id = ? ORDER BY rowid", arguments: [runID]) }
    }

    public func cachedAnswer(key: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT answer FROM eval_cache WHERE key = ?", arguments: [key]) }
    }

    public func cacheAnswers(_ answers: [(key: String, answer: String)]) async throws {
        guard !answers.isEmpty else { return }
        let now = Date()
        try await pool.write { db in
            for (key, answer) in answers {
                try db.execute(sql: "INSERT OR REPLACE INTO eval_cache (key, answer, created_at) VALUES (?, ?, ?)", arguments: [key, answer, now])
            }
        }
    }
}
