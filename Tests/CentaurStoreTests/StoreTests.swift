import CentaurPostgres
import CentaurSQLite
import GRDB
import CentaurStore
import CentaurTestSupport
import Foundation
import Synchronization
import Testing

/// The same behaviour from every store implementation: SQLite, the in-memory double and PostgreSQL. PostgreSQL runs
/// where `CENTAUR_TEST_POSTGRES_URL` names a server (scripts/test starts a throwaway one with scripts/postgres-cluster
/// and sets `CENTAUR_REQUIRE_POSTGRES=1`, so there a missing server fails instead of leaving PostgreSQL out); each
/// store gets a fresh schema of its own.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, memory, postgres
    var testDescription: String { rawValue }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["CENTAUR_TEST_POSTGRES_URL"] }

    static var allCases: [StoreKind] {
        postgresURL != nil || ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_POSTGRES"] == "1" ? [.sqlite, .memory, .postgres] : [.sqlite, .memory]
    }

    func make() throws -> any TraceStore & APIKeyStore & ResponseCacheStore & UserStore & EvalStore & WorkflowStore {
        switch self {
        case .memory: return InMemoryStore()
        case .sqlite: return try SQLiteStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("centaur-\(UUID().uuidString)/centaur.sqlite").path)
        case .postgres: return try Self.postgresStore()
        }
    }

    /// The budgets each backend keeps: in process beside SQLite and the doubles, in the database on PostgreSQL.
    func budgets() throws -> any BudgetStore {
        self == .postgres ? try Self.postgresStore() : LocalBudgets()
    }

    /// A store on a fresh schema of the test server.
    static func postgresStore() throws -> PostgresStore {
        guard let url = postgresURL else { throw StoreError("CENTAUR_TEST_POSTGRES_URL is not set: scripts/test starts a server") }
        return try PostgresStore(url: url, schema: "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""), maximumConnections: 4,
                                 readyTimeout: .seconds(240), callTimeout: .seconds(120))
    }
}

func trace(_ n: Int, request: String? = nil, model: String = "claude", status: TraceStatus = .ok, key: String? = "key-1", tags: [String: String] = [:], day: Int = 0) -> TraceRecord {
    let start = Date(timeIntervalSince1970: 1_763_000_000 + Double(day) * 86_400 + Double(n))
    return TraceRecord(
        id: String(format: "t%03d", n), requestID: request ?? "r\(n)", startedAt: start, endedAt: start.addingTimeInterval(0.25),
        keyID: key, team: "drivers", route: "smart", surface: "openai", model: model, provider: "p", upstreamModel: "up-\(model)",
        attempt: 1, status: status, errorClass: status == .ok ? nil : "rate_limited", inputTokens: 100 * n, outputTokens: 10 * n,
        cacheReadTokens: n, cacheWriteTokens: 0, costUSD: 0.001 * Double(n), latencyMS: 250, timeToFirstTokenMS: 80, tags: tags,
        requestBody: "{\"q\":\(n)}", responseBody: nil)
}

struct TraceStoreTests {
    @Test("records round-trip with every field", arguments: StoreKind.allCases)
    func roundTrip(kind: StoreKind) async throws {
        let store = try kind.make()
        let record = trace(1, tags: ["feature": "onboarding", "env": "test"])
        try await store.insert([record])
        #expect(try await store.trace(id: "t001") == record)
        #expect(try await store.trace(id: "missing") == nil)
    }

    @Test("retention deletes the traces of calls started before the cut-off, and only those", arguments: StoreKind.allCases)
    func retention(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.insert((1...4).map { trace($0, day: $0) })
        let cutoff = Date(timeIntervalSince1970: 1_763_000_000 + 3 * 86_400)
        #expect(try await store.purgeTraces(startedBefore: cutoff) == 2)
        #expect(try await store.traces(TraceQuery(limit: 10)).traces.map(\.id) == ["t004", "t003"])
        #expect(try await store.purgeTraces(startedBefore: cutoff) == 0)
        // The retention service: at a clock five days on, a three-day window keeps only day 4.
        let service = TraceRetention(store: store, days: 3, now: { Date(timeIntervalSince1970: 1_763_000_000 + 7 * 86_400) })
        #expect(try await service.purgeOnce() == 1)
        #expect(try await store.traces(TraceQuery(limit: 10)).traces.map(\.id) == ["t004"])
    }

    @Test("filters by model, status, key, tag, time and request", arguments: StoreKind.allCases)
    func filters(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.insert([
            trace(1, model: "claude", tags: ["feature": "a"]), trace(2, model: "small", status: .error),
            trace(3, model: "claude", key: "key-2", tags: ["feature": "b"]), trace(4, request: "shared", model: "small"),
            trace(5, request: "shared", model: "claude"),
        ])
        #expect(try await store.traces(TraceQuery(model: "claude")).traces.map(\.id) == ["t005", "t003", "t001"])
        #expect(try await store.traces(TraceQuery(status: .error)).traces.map(\.id) == ["t002"])
        #expect(try await store.traces(TraceQuery(keyID: "key-2")).traces.map(\.id) == ["t003"])
        #expect(try await store.traces(TraceQuery(tag: ("feature", "a"))).traces.map(\.id) == ["t001"])
        #expect(try await store.traces(TraceQuery(requestID: "shared")).traces.map(\.id) == ["t005", "t004"])
        let from = Date(timeIntervalSince1970: 1_763_000_002)
        let to = Date(timeIntervalSince1970: 1_763_000_004)
        #expect(try await store.traces(TraceQuery(from: from, to: to)).traces.map(\.id) == ["t003", "t002"])
        #expect(try await store.requestCount() == 4)
    }

    @Test("cursor pagination visits every record once, newest first", arguments: StoreKind.allCases)
    func pagination(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.insert((1...7).map { trace($0) })
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await store.traces(TraceQuery(cursor: cursor, limit: 3))
            seen += page.traces.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == ["t007", "t006", "t005", "t004", "t003", "t002", "t001"])
        await #expect(throws: StoreError.self) { try await store.traces(TraceQuery(cursor: "garbage")) }
    }

    @Test("usage sums tokens and cost by day, model and key", arguments: StoreKind.allCases)
    func usage(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.insert([trace(1, request: "a"), trace(2, request: "a"), trace(3, model: "small"), trace(4, day: 1)])
        let rows = try await store.usage(from: nil, to: nil)
        let claudeDay0 = try #require(rows.first { $0.model == "claude" && $0.day == "2025-11-13" })
        #expect(claudeDay0.requests == 1)
        #expect(claudeDay0.attempts == 2)
        #expect(claudeDay0.inputTokens == 300)
        #expect(abs(claudeDay0.costUSD - 0.003) < 1e-12)
        #expect(rows.count == 3)
        #expect(rows.first?.day == "2025-11-14")
    }
}

struct APIKeyStoreTests {
    @Test("keys are found by hash until revoked", arguments: StoreKind.allCases)
    func keys(kind: StoreKind) async throws {
        let store = try kind.make()
        let key = APIKeyRecord(id: "k1", name: "ci", team: "drivers", scope: .admin, hash: "abc123", prefix: "ctr_ab", createdAt: Date(timeIntervalSince1970: 0))
        try await store.insert(key)
        #expect(try await store.key(hash: "abc123") == key)
        await #expect(throws: (any Error).self) { try await store.insert(key) }
        #expect(try await store.revoke(id: "k1", at: Date(timeIntervalSince1970: 10)))
        #expect(try await store.key(hash: "abc123") == nil)
        #expect(try await store.revoke(id: "k1", at: Date()) == false)
        #expect(try await store.keys().first?.revokedAt == Date(timeIntervalSince1970: 10))
    }
}

struct SQLiteStoreTests {
    @Test func migrationsAreNamedAndReopeningAppliesNothingTwice() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-\(UUID().uuidString)/db.sqlite").path
        let all = ["0001-create-trace", "0002-create-api-key", "0003-api-key-reviewer-scope", "0004-create-workflow", "0005-create-response-cache",
                   "0006-api-key-limits", "0007-create-evals", "0008-create-web-users", "0009-web-user-disabled", "0010-generic-jobs",
                   "0011-workflow-state-checks", "0012-fair-jobs"]
        #expect(try await SQLiteStore(path: path).appliedMigrations() == all)
        #expect(try await SQLiteStore(path: path).appliedMigrations() == all)
    }

    @Test func theDatabaseAndDocumentsAreOwnerOnly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-\(UUID().uuidString)/data")
        let store = try SQLiteStore(path: folder.appendingPathComponent("centaur.sqlite").path)
        try store.pool.write { db in try db.execute(sql: "CREATE TABLE probe (x)") }  // the write-ahead log exists now
        let blobs = FileBlobStore(root: folder.appendingPathComponent("blobs"))
        let blob = try blobs.write(Data("document".utf8), sha256: "ab" + String(repeating: "0", count: 62))
        func mode(_ path: String) throws -> Int { try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1 }
        #expect(try mode(folder.path) == 0o700)
        #expect(try mode(store.path) == 0o600)
        #expect(try mode(store.path + "-wal") == 0o600)
        #expect(try mode(folder.appendingPathComponent("blobs").path) == 0o700)
        #expect(try mode(blob.deletingLastPathComponent().path) == 0o700)
        #expect(try mode(blob.path) == 0o600)
    }

    @Test("a database from before the reviewer scope keeps its keys and accepts reviewer keys after migrating")
    func reviewerScopeMigration() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-\(UUID().uuidString)/db.sqlite").path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // The schema as 0002 left it, with one admin key.
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('0001-create-trace'), ('0002-create-api-key');
                CREATE TABLE trace (id TEXT PRIMARY KEY);
                CREATE TABLE api_key (id TEXT PRIMARY KEY, name TEXT NOT NULL, team TEXT,
                    scope TEXT NOT NULL CHECK (scope IN ('gateway', 'admin')), hash TEXT NOT NULL UNIQUE,
                    prefix TEXT NOT NULL, created_at DATETIME NOT NULL, revoked_at DATETIME);
                INSERT INTO api_key VALUES ('k1', 'ops', NULL, 'admin', 'h1', 'ck_1', '2026-01-01 00:00:00.000', NULL);
                """)
        }
        try old.close()
        let store = try SQLiteStore(path: path)
        #expect(try await store.key(hash: "h1")?.scope == .admin)
        try await store.insert(APIKeyRecord(id: "k2", name: "ana", team: nil, scope: .reviewer, hash: "h2", prefix: "ck_2", createdAt: Date()))
        #expect(try await store.keys().map(\.scope) == [.admin, .reviewer])
    }

    @Test("processes opening a new database at once migrate it one after the other; every one can use it")
    func concurrentOpeners() async throws {
        let failures = Mutex<[String]>([])
        for _ in 0..<5 {  // a race shows in some rounds only: several fresh databases
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-\(UUID().uuidString)/centaur.sqlite").path
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                do {
                    let store = try SQLiteStore(path: path)
                    _ = try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trace") }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(try await SQLiteStore(path: path).appliedMigrations().count == 12)
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
    }

    @Test func constraintsLiveInSQL() async throws {
        let store = try StoreKind.sqlite.make()
        // A status outside TraceStatus cannot be written from Swift; the attempt and token checks are SQL's own.
        var noAttempt = trace(1)
        noAttempt.attempt = 0
        await #expect(throws: (any Error).self) { try await store.insert([noAttempt]) }
        var negative = trace(2)
        negative.inputTokens = -1
        await #expect(throws: (any Error).self) { try await store.insert([negative]) }
    }

    @Test func anUnopenableDatabaseIsAClearError() {
        let error = #expect(throws: StoreError.self) { try SQLiteStore(path: "/proc/centaur/db.sqlite") }
        #expect(error?.description.contains("cannot") == true)
    }
}

struct TraceWriterTests {
    @Test func aFullQueueDropsAndCountsInsteadOfBlocking() async throws {
        let store = InMemoryStore()
        let writer = TraceWriter(store: store, capacity: 3)
        #expect(writer.enqueue([trace(1), trace(2)]))
        #expect(!writer.enqueue([trace(3), trace(4)]))
        #expect(writer.dropped == 2)
        #expect(writer.queueDepth == 2)
    }

    @Test func writesInBatchesAndDrainsEverythingOnShutdown() async throws {
        let store = try StoreKind.sqlite.make()
        let writer = TraceWriter(store: store, capacity: 10_000, batchSize: 64)
        let service = Task { try await writer.run() }
        for n in 1...500 { writer.enqueue([trace(n)]) }
        await writer.flush()
        #expect(try await store.requestCount() == 500)
        for n in 501...900 { writer.enqueue([trace(n)]) }
        service.cancel()
        try await service.value
        #expect(try await store.requestCount() == 900)
        #expect(writer.written == 900)
        #expect(writer.dropped == 0)
    }

    @Test("persist returns once the records are stored: 200 concurrent callers each find their own trace; a failing store says lost")
    func persists() async throws {
        let store = InMemoryStore()
        let writer = TraceWriter(store: store, batchSize: 32)
        #expect(await writer.persist([trace(1)]) == .queued)  // not running: queued for the next run, not waited for
        let service = Task { try await writer.run() }
        while !writer.isRunning { try await Task.sleep(for: .milliseconds(1)) }
        let found = try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 2...201 {
                group.addTask {
                    let stored = await writer.persist([trace(n, request: "p\(n)")]) == .stored
                    let count = try await store.traces(TraceQuery(requestID: "p\(n)", limit: 5)).traces.count
                    return stored && count == 1
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(found == 200)
        service.cancel()
        try await service.value
        #expect(try await store.requestCount() == 201)

        let failing = TraceWriter(store: FailingTraceStore(), batchSize: 8)
        let broken = Task { try await failing.run() }
        while !failing.isRunning { try await Task.sleep(for: .milliseconds(1)) }
        #expect(await failing.persist([trace(1)]) == .lost)
        broken.cancel()
        try await broken.value
    }

    @Test("a writer stopped once runs again: what is queued after a restart is written, and flush returns")
    func restarts() async throws {
        let store = InMemoryStore()
        let writer = TraceWriter(store: store, batchSize: 8)
        for round in 0..<3 {
            let service = Task { try await writer.run() }
            for n in 1...20 { writer.enqueue([trace(round * 100 + n)]) }
            await writer.flush()
            service.cancel()
            try await service.value
        }
        #expect(try await store.requestCount() == 60)
        #expect(writer.written == 60)
    }
}

/// A trace store whose writes always fail.
struct FailingTraceStore: TraceStore {
    struct Down: Error {}
    func insert(_ records: [TraceRecord]) async throws { throw Down() }
    func traces(_ query: TraceQuery) async throws -> TracePage { throw Down() }
    func trace(id: String) async throws -> TraceRecord? { throw Down() }
    func usage(from: Date?, to: Date?) async throws -> [UsageRow] { throw Down() }
    func spend(since: Date) async throws -> [SpendRow] { throw Down() }
    func requestCount() async throws -> Int { throw Down() }
    func purgeTraces(startedBefore date: Date) async throws -> Int { throw Down() }
}
