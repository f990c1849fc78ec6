import CentaurStore
import Foundation
import GRDB

extension TraceStatus: DatabaseValueConvertible {}
extension TraceRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trace"
}

extension SQLiteStore: TraceStore {
    static let insertTraceSQL = """
        INSERT INTO trace (id, request_id, started_at, ended_at, key_id, team, route, surface, model, provider,
            upstream_model, attempt, status, error_class, error_message, http_status, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd, latency_ms, time_to_first_token_ms, tags, request_body, response_body)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    public func insert(_ records: [TraceRecord]) async throws {
        guard !records.isEmpty else { return }
        try await pool.write { db in
            // A cached statement with explicit arguments: several times cheaper than Codable record encoding.
            let statement = try db.cachedStatement(sql: Self.insertTraceSQL)
            for r in records {
                // Dates as GRDB writes them ("yyyy-MM-dd HH:mm:ss.SSS", UTC) without a DateFormatter per value;
                // values as `DatabaseValue`s, so no argument needs a dynamic cast.
                func text(_ value: String?) -> DatabaseValue { value?.databaseValue ?? .null }
                func integer(_ value: Int?) -> DatabaseValue { value.map { Int64($0).databaseValue } ?? .null }
                func real(_ value: Double?) -> DatabaseValue { value?.databaseValue ?? .null }
                let values: [DatabaseValue] = [
                    text(r.id), text(r.requestID), text(SQLiteText.string(r.startedAt)), text(SQLiteText.string(r.endedAt)),
                    text(r.keyID), text(r.team), text(r.route), text(r.surface), text(r.model), text(r.provider),
                    text(r.upstreamModel), integer(r.attempt), r.status.databaseValue, text(r.errorClass), text(r.errorMessage),
                    integer(r.httpStatus), integer(r.inputTokens), integer(r.outputTokens), integer(r.cacheReadTokens),
                    integer(r.cacheWriteTokens), real(r.costUSD), real(r.latencyMS), real(r.timeToFirstTokenMS),
                    text(SQLiteText.json(r.tags)), text(r.requestBody), text(r.responseBody),
                ]
                try statement.execute(arguments: StatementArguments(values))
            }
        }
    }

    public func traces(_ query: TraceQuery) async throws -> TracePage {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let from = query.from { conditions.append("started_at >= ?"); arguments.append(from) }
        if let to = query.to { conditions.append("started_at < ?"); arguments.append(to) }
        if let model = query.model { conditions.append("(model = ? OR route = ?)"); arguments += [model, model] }
        if let key = query.keyID { conditions.append("key_id = ?"); arguments.append(key) }
        if let status = query.status { conditions.append("status = ?"); arguments.append(status) }
        if let request = query.requestID { conditions.append("request_id = ?"); arguments.append(request) }
        if let tag = query.tag {
            conditions.append("json_extract(tags, ?) = ?")
            arguments += ["$.\"\(tag.name.replacingOccurrences(of: "\"", with: ""))\"", tag.value]
        }
        if let cursor = query.cursor {
            let (date, id) = try TraceCursor.decode(cursor)
            conditions.append("(started_at < ? OR (started_at = ? AND id < ?))")
            arguments += [date, date, id]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM trace \(whereClause) ORDER BY started_at DESC, id DESC LIMIT \(query.limit + 1)"
        let statementArguments = StatementArguments(arguments)
        let rows = try await pool.read { db in
            try TraceRecord.fetchAll(db, sql: sql, arguments: statementArguments)
        }
        let page = Array(rows.prefix(query.limit))
        return TracePage(traces: page, nextCursor: rows.count > query.limit ? page.last.map(TraceCursor.encode) : nil)
    }

    public func trace(id: String) async throws -> TraceRecord? {
        try await pool.read { db in try TraceRecord.fetchOne(db, key: id) }
    }

    public func usage(from: Date?, to: Date?) async throws -> [UsageRow] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let from { conditions.append("started_at >= ?"); arguments.append(from) }
        if let to { conditions.append("started_at < ?"); arguments.append(to) }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT date(started_at) AS day, model, key_id,
                   COUNT(DISTINCT request_id) AS requests, COUNT(*) AS attempts,
                   SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
                   SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens,
                   COALESCE(SUM(cost_usd), 0) AS cost_usd
            FROM trace \(whereClause)
            GROUP BY day, model, key_id
            ORDER BY day DESC, cost_usd DESC, model
            """
        let statementArguments = StatementArguments(arguments)
        return try await pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: statementArguments).map { row in
                UsageRow(
                    day: row["day"], model: row["model"], keyID: row["key_id"], requests: row["requests"], attempts: row["attempts"],
                    inputTokens: row["input_tokens"], outputTokens: row["output_tokens"], cacheReadTokens: row["cache_read_tokens"],
                    cacheWriteTokens: row["cache_write_tokens"], costUSD: row["cost_usd"])
            }
        }
    }

    public func spend(since: Date) async throws -> [SpendRow] {
        try await pool.read { db in try Self.spend(db, since: since) }
    }

    static func spend(_ db: Database, since: Date) throws -> [SpendRow] {
        try Row.fetchAll(db, sql: """
            SELECT key_id, team, COALESCE(SUM(cost_usd), 0) AS cost FROM trace WHERE started_at >= ? GROUP BY key_id, team
            """, arguments: [since]).map { SpendRow(keyID: $0["key_id"], team: $0["team"], costUSD: $0["cost"]) }
    }

    public func purgeTraces(startedBefore date: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM trace WHERE started_at < ?", arguments: [date])
            return db.changesCount
        }
    }

    public func requestCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT request_id) FROM trace") ?? 0 }
    }
}

