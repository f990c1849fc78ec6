import CentaurStore
import Foundation
import PostgresNIO

extension PostgresStore: TraceStore {
    public func insert(_ records: [TraceRecord]) async throws {
        guard !records.isEmpty else { return }
        try await bounded { try await self.insertNow(records) }
    }

    /// A missing key or team travels in its array as this (PostgreSQL text cannot hold NUL; no id holds U+0001).
    private static let absent = "\u{1}"

    /// Months of trace partitions prepared ahead of the current one.
    static let partitionMonthsAhead = 2

    /// Prepares this month's trace partition and the next ones (``partitionMonthsAhead``) when what this process
    /// prepared ends within a month: once at its first insert, then about monthly. Traces outside them still land (in
    /// the default partition); preparing is only for speed and retention.
    func prepareTracePartitions(now: Date = Date()) async throws {
        let seconds = Self.seconds(now)
        guard tracePartitionsEnd.withLock({ $0 - seconds < 32 * 86_400 }) else { return }
        let rows = try await client.query("SELECT centaur_trace_partitions(\(seconds), \(Self.partitionMonthsAhead)::int)", logger: logger)
        for try await end in rows.decode(Double.self) { tracePartitionsEnd.withLock { $0 = end } }
    }

    /// A batch goes in by `COPY` (one stream, no statement to plan or parameters to bind per row). COPY has no
    /// `ON CONFLICT`, so a batch holding a trace already stored (a retry after an answer that was lost) fails whole
    /// with a unique violation and goes in again by the INSERT below, which leaves stored ids as they are.
    private func insertNow(_ records: [TraceRecord]) async throws {
        try await prepareTracePartitions()
        do {
            try await copy(records)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            try await insertSkippingStored(records)
        }
    }

    static let traceColumns = ["id", "request_id", "started_at", "key_id", "team", "route", "model", "status", "input_tokens",
                               "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd", "tags", "record"]

    private func copy(_ records: [TraceRecord]) async throws {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(records.count * 1_024)
        for record in records {
            var line = ""
            func field(_ value: String?) {
                guard let value else { line += "\\N\t"; return }
                line += Self.copyEscaped(value)
                line += "\t"
            }
            field(record.id); field(record.requestID); field(String(Self.seconds(record.startedAt))); field(record.keyID)
            field(record.team); field(record.route); field(record.model); field(record.status.rawValue)
            field(String(record.inputTokens)); field(String(record.outputTokens)); field(String(record.cacheReadTokens))
            field(String(record.cacheWriteTokens)); field(record.costUSD.map { String($0) }); field(try Self.json(record.tags))
            field(try Self.json(record))
            line.removeLast()  // the last tab
            line += "\n"
            buffer.writeString(line)
        }
        let data = buffer
        try await ready()
        try await client.withConnection { connection in
            try await connection.copyFrom(table: "trace", columns: Self.traceColumns, logger: self.logger) { writer in
                try await writer.write(data)
            }
        }
    }

    /// `value` for COPY's text format: backslash, tab, newline and carriage return escaped.
    static func copyEscaped(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 92 || $0 == 9 || $0 == 10 || $0 == 13 }) else { return value }
        var out = ""
        out.reserveCapacity(value.utf8.count + 8)
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    private func insertSkippingStored(_ records: [TraceRecord]) async throws {
        // One INSERT per batch (the trace writer batches), its columns sent as 15 arrays that `unnest` turns into rows:
        // a fixed statement with 15 parameters, where a multi-row VALUES list would have 15 per record to parse.
        // Ids already stored are left as they are.
        var binds = PostgresBindings(capacity: 15)
        binds.append(records.map(\.id)); binds.append(records.map(\.requestID)); binds.append(records.map { Self.seconds($0.startedAt) })
        binds.append(records.map { $0.keyID ?? Self.absent }); binds.append(records.map { $0.team ?? Self.absent })
        binds.append(records.map(\.route)); binds.append(records.map(\.model)); binds.append(records.map(\.status.rawValue))
        binds.append(records.map(\.inputTokens)); binds.append(records.map(\.outputTokens))
        binds.append(records.map(\.cacheReadTokens)); binds.append(records.map(\.cacheWriteTokens))
        binds.append(records.map { $0.costUSD ?? .nan })
        binds.append(try records.map { try Self.json($0.tags) }); binds.append(try records.map { try Self.json($0) })
        try await execute(PostgresQuery(unsafeSQL: """
            INSERT INTO trace (id, request_id, started_at, key_id, team, route, model, status, input_tokens, output_tokens,
                cache_read_tokens, cache_write_tokens, cost_usd, tags, record)
            SELECT id, request_id, started_at, NULLIF(key_id, E'\\x01'), NULLIF(team, E'\\x01'), route, model, status,
                input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, NULLIF(cost_usd, 'NaN'::float8), tags::jsonb, record::jsonb
            FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                        $9::int8[], $10::int8[], $11::int8[], $12::int8[], $13::float8[], $14::text[], $15::text[])
                AS u(id, request_id, started_at, key_id, team, route, model, status, input_tokens, output_tokens,
                     cache_read_tokens, cache_write_tokens, cost_usd, tags, record)
            ON CONFLICT (id, started_at) DO NOTHING
            """, binds: binds))
    }

    public func traces(_ query: TraceQuery) async throws -> TracePage {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func bind(_ value: some PostgresThrowingDynamicTypeEncodable) throws -> String {
            try binds.append(value)
            return "$\(binds.count)"
        }
        if let from = query.from { conditions.append("started_at >= \(try bind(Self.seconds(from)))") }
        if let to = query.to { conditions.append("started_at < \(try bind(Self.seconds(to)))") }
        if let model = query.model { let m = try bind(model); conditions.append("(model = \(m) OR route = \(m))") }
        if let key = query.keyID { conditions.append("key_id = \(try bind(key))") }
        if let status = query.status { conditions.append("status = \(try bind(status.rawValue))") }
        if let request = query.requestID { conditions.append("request_id = \(try bind(request))") }
        if let tag = query.tag {
            // Containment, so the GIN index on tags answers it.
            conditions.append("tags @> \(try bind(try Self.json([tag.name: tag.value])))::jsonb")
        }
        if let cursor = query.cursor {
            let (date, id) = try TraceCursor.decode(cursor)
            let d = try bind(Self.seconds(date))
            conditions.append("(started_at < \(d) OR (started_at = \(d) AND id < \(try bind(id))))")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT record::text FROM trace \(whereClause) ORDER BY started_at DESC, id DESC LIMIT \(query.limit + 1)"
        let rows = try await records(TraceRecord.self, PostgresQuery(unsafeSQL: sql, binds: binds))
        let page = Array(rows.prefix(query.limit))
        return TracePage(traces: page, nextCursor: rows.count > query.limit ? page.last.map(TraceCursor.encode) : nil)
    }

    public func trace(id: String) async throws -> TraceRecord? {
        try await records(TraceRecord.self, "SELECT record::text FROM trace WHERE id = \(id)").first
    }

    public func usage(from: Date?, to: Date?) async throws -> [UsageRow] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        if let from { binds.append(Self.seconds(from)); conditions.append("started_at >= $\(binds.count)") }
        if let to { binds.append(Self.seconds(to)); conditions.append("started_at < $\(binds.count)") }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT to_char(to_timestamp(started_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, model, key_id,
                   COUNT(DISTINCT request_id)::bigint, COUNT(*)::bigint,
                   SUM(input_tokens)::bigint, SUM(output_tokens)::bigint, SUM(cache_read_tokens)::bigint, SUM(cache_write_tokens)::bigint,
                   COALESCE(SUM(cost_usd), 0)::double precision AS cost
            FROM trace \(whereClause)
            GROUP BY day, model, key_id
            ORDER BY day DESC, cost DESC, model
            """
        try await ready()
        var result: [UsageRow] = []
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        for try await (day, model, key, requests, attempts, input, output, cacheRead, cacheWrite, cost)
            in rows.decode((String, String, String?, Int, Int, Int, Int, Int, Int, Double).self) {
            result.append(UsageRow(day: day, model: model, keyID: key, requests: requests, attempts: attempts, inputTokens: input,
                                   outputTokens: output, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, costUSD: cost))
        }
        return result
    }

    public func spend(since: Date) async throws -> [SpendRow] {
        try await ready()
        var result: [SpendRow] = []
        let rows = try await client.query("""
            SELECT key_id, team, COALESCE(SUM(cost_usd), 0)::double precision FROM trace WHERE started_at >= \(Self.seconds(since))
            GROUP BY key_id, team
            """, logger: logger)
        for try await (key, team, cost) in rows.decode((String?, String?, Double).self) { result.append(SpendRow(keyID: key, team: team, costUSD: cost)) }
        return result
    }

    public func purgeTraces(startedBefore date: Date) async throws -> Int {
        try await ready()
        // Whole months go as tables (DROP), the rest row by row; see migration 0007.
        let rows = try await client.query("SELECT centaur_trace_purge(\(Self.seconds(date)))", logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    public func requestCount() async throws -> Int {
        try await ready()
        for try await count in try await client.query("SELECT COUNT(DISTINCT request_id)::bigint FROM trace", logger: logger).decode(Int.self) {
            return count
        }
        return 0
    }
}
