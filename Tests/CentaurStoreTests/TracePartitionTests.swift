@testable import CentaurPostgres
import CentaurStore
import Foundation
import PostgresNIO
import Testing

/// Traces on PostgreSQL are partitioned by month (migration 0007): rows land in their month's table, retention drops
/// whole months, and a month prepared late takes its rows out of the default partition.
@Suite("PostgreSQL trace partitions", .enabled(if: StoreKind.allCases.contains(.postgres), "set CENTAUR_TEST_POSTGRES_URL (scripts/test starts a server)"))
struct TracePartitionTests {
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text + "T12:00:00Z")! }

    static func trace(_ id: String, _ day: String) -> TraceRecord {
        var record = CentaurStoreTests.trace(1)
        record.id = id
        record.requestID = "r-" + id
        record.startedAt = date(day)
        record.endedAt = record.startedAt.addingTimeInterval(1)
        return record
    }

    /// Which table holds each trace.
    static func placement(_ store: PostgresStore) async throws -> [String: String] {
        try await store.ready()
        var result: [String: String] = [:]
        for try await (table, id) in try await store.client.query("SELECT tableoid::regclass::text, id FROM trace", logger: store.logger)
            .decode((String, String).self) {
            result[id] = String(table.split(separator: ".").last!)
        }
        return result
    }

    static func schema() -> String { "p_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }

    @Test("rows land in their month's table; retention drops whole months and deletes the rest row by row")
    func monthsAndRetention() async throws {
        let url = try #require(StoreKind.postgresURL)
        let store = try PostgresStore(url: url, schema: Self.schema(), maximumConnections: 2, readyTimeout: .seconds(240), callTimeout: .seconds(120))
        try await store.ready()
        try await store.prepareTracePartitions(now: Self.date("2026-09-15"))  // September to November
        try await store.insert([Self.trace("old", "2001-01-05"), Self.trace("aug", "2026-08-10"), Self.trace("sep", "2026-09-10"),
                                Self.trace("oct", "2026-10-10"), Self.trace("oct2", "2026-10-25"), Self.trace("nov", "2026-11-10")])
        let placed = try await Self.placement(store)
        #expect(placed == ["old": "trace_default", "aug": "trace_default", "sep": "trace_2026m09", "oct": "trace_2026m10",
                           "oct2": "trace_2026m10", "nov": "trace_2026m11"])
        try await store.insert([Self.trace("nov", "2026-11-10")])
        #expect(try await store.traces(TraceQuery(limit: 100)).traces.count == 6, "a stored trace inserted again is left as it is")

        #expect(try await store.purgeTraces(startedBefore: Self.date("2026-10-20")) == 4, "old, aug, sep and oct go")
        #expect(try await Self.placement(store) == ["oct2": "trace_2026m10", "nov": "trace_2026m11"])
        var tables: [String] = []
        for try await name in try await store.client.query("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('trace') ORDER BY 1
            """, logger: store.logger).decode(String.self) { tables.append(name) }
        #expect(!tables.contains("trace_2026m09"), "September's table was dropped whole: \(tables)")
        #expect(tables.contains("trace_2026m10") && tables.contains("trace_default"))
        #expect(try await store.trace(id: "oct2")?.requestID == "r-oct2")
    }

    @Test("COPY carries tabs, newlines, backslashes and any script in a trace unchanged")
    func copyEscapes() async throws {
        let url = try #require(StoreKind.postgresURL)
        let store = try PostgresStore(url: url, schema: Self.schema(), maximumConnections: 2, readyTimeout: .seconds(240), callTimeout: .seconds(120))
        var record = Self.trace("escapes", "2026-12-01")
        record.requestBody = "line one\nline\ttwo \\ back\\slash \r é 漢字 \\N"
        record.tags = ["note": "a\tb\\N"]
        record.keyID = nil
        try await store.insert([record])
        let stored = try #require(try await store.trace(id: "escapes"))
        #expect(stored.requestBody == record.requestBody && stored.tags == record.tags && stored.keyID == nil)
    }

    @Test("a month prepared after its rows arrived takes them out of the default partition")
    func lateMonth() async throws {
        let url = try #require(StoreKind.postgresURL)
        let schema = Self.schema()
        let store = try PostgresStore(url: url, schema: schema, maximumConnections: 2, readyTimeout: .seconds(240), callTimeout: .seconds(120))
        try await store.insert([Self.trace("far", "2031-03-02")])
        #expect(try await Self.placement(store)["far"] == "trace_default")
        let replica = try PostgresStore(url: url, schema: schema, maximumConnections: 2, readyTimeout: .seconds(240), callTimeout: .seconds(120))
        try await replica.prepareTracePartitions(now: Self.date("2031-03-01"))
        #expect(try await Self.placement(store)["far"] == "trace_2031m03")
        #expect(try await store.trace(id: "far") != nil)
    }

    @Test("migrating a database whose traces were not partitioned keeps every trace and its order")
    func migratesExistingTraces() async throws {
        let url = try #require(StoreKind.postgresURL)
        let schema = Self.schema()
        let store = try PostgresStore(url: url, schema: schema, maximumConnections: 2, readyTimeout: .seconds(240), callTimeout: .seconds(120))
        try await PostgresStore.migrate(store.client, schema: schema, logger: store.logger, through: "0006-fair-jobs")
        for (n, day) in ["2026-10-01", "2026-12-02", "2026-12-01"].enumerated() {
            let record = Self.trace("t\(n)", day)
            try await store.client.query("""
                INSERT INTO \(unescaped: schema).trace (id, request_id, started_at, route, model, status, input_tokens, output_tokens,
                    cache_read_tokens, cache_write_tokens, tags, record)
                VALUES (\(record.id), \(record.requestID), \(record.startedAt.timeIntervalSince1970), 'r', 'm', 'ok', 1, 1, 0, 0,
                    '{}'::jsonb, \(String(decoding: try JSONEncoder().encode(record), as: UTF8.self))::jsonb)
                """, logger: store.logger)
        }
        try await store.ready()  // applies 0007 and what follows it
        #expect(try await store.appliedMigrations().contains("0007-trace-partitions"))
        #expect(try await store.traces(TraceQuery(limit: 10)).traces.map(\.id) == ["t1", "t2", "t0"])
        var positions: [String] = []
        for try await id in try await store.client.query("SELECT id FROM trace ORDER BY pos", logger: store.logger).decode(String.self) {
            positions.append(id)
        }
        #expect(positions == ["t0", "t1", "t2"], "insertion order (pos) survives")
        try await store.insert([Self.trace("t3", "2026-12-03")])
        positions = []
        for try await id in try await store.client.query("SELECT id FROM trace ORDER BY pos", logger: store.logger).decode(String.self) {
            positions.append(id)
        }
        #expect(positions == ["t0", "t1", "t2", "t3"], "the sequence carries on")
    }
}
