import Foundation
import GRDB

/// One evaluation run: a suite against its providers.
public struct EvalRunRecord: Sendable, Hashable, Codable {
    public var id: String
    public var suite: String
    public var description: String
    public var startedAt: Date
    public var endedAt: Date?
    /// `running`, `completed` or `cancelled`.
    public var status: String
    /// JSON summary per provider (pass rate, cost, latency…), written at the end.
    public var summary: String?

    enum CodingKeys: String, CodingKey {
        case id, suite, description, status, summary
        case startedAt = "started_at", endedAt = "ended_at"
    }

    public init(id: String, suite: String, description: String, startedAt: Date, endedAt: Date? = nil, status: String = "running", summary: String? = nil) {
        self.id = id; self.suite = suite; self.description = description; self.startedAt = startedAt; self.endedAt = endedAt
        self.status = status; self.summary = summary
    }
}

/// One case's result in a run (the detail — vars, prompt, output, assertions — as JSON).
public struct EvalResultRecord: Sendable, Hashable, Codable {
    public var runID: String
    public var caseID: String
    public var provider: String
    public var success: Bool
    public var score: Double
    public var costUSD: Double?
    public var latencyMS: Double
    public var error: String?
    public var detail: String

    enum CodingKeys: String, CodingKey {
        case provider, success, score, error, detail
        case runID = "run_id", caseID = "case_id", costUSD = "cost_usd", latencyMS = "latency_ms"
    }

    public init(runID: String, caseID: String, provider: String, success: Bool, score: Double, costUSD: Double?, latencyMS: Double, error: String?, detail: String) {
        self.runID = runID; self.caseID = caseID; self.provider = provider; self.success = success; self.score = score
        self.costUSD = costUSD; self.latencyMS = latencyMS; self.error = error; self.detail = detail
    }
}

/// Where eval runs, their results and the answer cache live.
public protocol EvalStore: Sendable {
    func saveRun(_ run: EvalRunRecord) async throws
    func run(id: String) async throws -> EvalRunRecord?
    func runs(limit: Int) async throws -> [EvalRunRecord]
    func insertResults(_ results: [EvalResultRecord]) async throws
    func results(runID: String) async throws -> [EvalResultRecord]
    /// A cached provider answer (JSON) for a case key.
    func cachedAnswer(key: String) async throws -> String?
    func cacheAnswers(_ answers: [(key: String, answer: String)]) async throws
}

extension EvalRunRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "eval_run" }
extension EvalResultRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "eval_result" }

extension SQLiteStore: EvalStore {
    static func registerEvalMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("0007-create-evals") { db in
            try db.create(table: "eval_run") { t in
                t.primaryKey("id", .text)
                t.column("suite", .text).notNull()
                t.column("description", .text).notNull()
                t.column("started_at", .datetime).notNull().indexed()
                t.column("ended_at", .datetime)
                t.column("status", .text).notNull().check { ["running", "completed", "cancelled"].contains($0) }
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
