import CentaurCore
import CentaurStore
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Every record store on one PostgreSQL database, for several `centaur serve` replicas sharing it.
///
/// Each table keeps the record whole as `jsonb` (the same Codable record the other backends store) beside typed
/// columns for what queries filter, order and sum by; `pos` (a sequence) is insertion order. Opening starts the
/// connection pool; the first use waits for the migrations, which run in one transaction under an advisory lock, so
/// replicas starting together apply them once. `schema` puts the tables in a schema of their own (tests use a fresh
/// one each).
public final class PostgresStore: Sendable {
    let client: PostgresClient
    let schema: String
    let logger: Logger
    private let runner: Task<Void, Never>
    /// The migration under way or done; a failed one is forgotten, so the next call tries again (a server that was
    /// down is used once it is back).
    private let migration = Mutex<Task<Void, any Error>?>(nil)
    /// How long preparing the schema may take, connecting included, before a call fails.
    let readyTimeout: Duration
    /// How long a call on the request path (an API key, a budget decision, a batch of traces) may take before it
    /// fails: a server that went away mid-call can leave the call waiting for ever.
    let callTimeout: Duration
    /// Where the trace partitions prepared by this process end (seconds since 1970); 0 until the first insert.
    let tracePartitionsEnd = Mutex<Double>(0)

    /// Opens a pool to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable|prefer|require]
    /// [&connect_timeout=SECONDS]`); `connect_timeout` also bounds preparing the schema. Calls on the request path (a key,
    /// a budget decision, a batch of traces) give up after `callTimeout`, so a request whose database is away gets its 503.
    public init(url: String, schema: String = "public", maximumConnections: Int = 20, readyTimeout: Duration = .seconds(30),
                callTimeout: Duration = .seconds(3), logger: Logger = .disabled) throws {
        guard schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !schema.isEmpty else {
            throw StoreError("PostgreSQL schema \(schema) must be letters, digits and underscores")
        }
        var (configuration, connectTimeout) = try Self.configuration(url)
        configuration.options.maximumConnections = maximumConnections
        var readyTimeout = readyTimeout
        if let connectTimeout {
            readyTimeout = connectTimeout
            configuration.options.connectTimeout = connectTimeout
        }
        configuration.options.additionalStartupParameters = [("search_path", schema)]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.schema = schema
        self.logger = logger
        self.readyTimeout = readyTimeout
        self.callTimeout = callTimeout
        runner = Task { await client.run() }
    }

    deinit {
        runner.cancel()
    }

    /// Stops the pool.
    public func close() {
        runner.cancel()
    }

    /// Waits until the schema is current; every operation starts with it.
    func ready() async throws {
        let (client, schema, logger, limit) = (client, schema, logger, readyTimeout)
        let task = migration.withLock { current in
            if let current { return current }
            let task = Task { try await Self.within(limit) { try await Self.migrate(client, schema: schema, logger: logger) } }
            current = task
            return task
        }
        do {
            try await task.value
        } catch {
            migration.withLock { if $0 == task { $0 = nil } }
            throw StoreError("PostgreSQL (schema \(schema)) could not be prepared: \(String(reflecting: error))")
        }
    }

    /// `body`, or an error once `limit` has passed.
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw StoreError("no answer within \(limit)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// `body`'s result, or an error once `limit` has passed even if `body` does not stop when cancelled (it is
    /// cancelled and left to finish on its own): for calls on a connection the server may have dropped.
    static func abandoning<T: Sendable>(after limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let once = FirstOnly()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                if once.first() { continuation.resume(with: result) }
            }
            Task {
                try? await Task.sleep(for: limit)
                if once.first() {
                    work.cancel()
                    continuation.resume(throwing: StoreError("no answer within \(limit)"))
                }
            }
        }
    }

    /// `body` within ``callTimeout``; after it the caller gets a clear error and `body` is left to finish (or not).
    /// The schema is made ready first, under its own limit (``readyTimeout``).
    func bounded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await ready()
        do {
            return try await Self.abandoning(after: callTimeout, body)
        } catch let error as StoreError where error.description.hasPrefix("no answer within") {
            logger.warning("PostgreSQL call abandoned", metadata: ["schema": "\(schema)", "limit": "\(callTimeout)"])
            throw StoreError("PostgreSQL (schema \(schema)) did not answer within \(callTimeout)")
        }
    }

    /// Whether the server answers now and its schema is exactly this build's migrations (a newer build may have added
    /// more: this one then refuses to run on it).
    public func checkCurrent() async throws {
        let applied: [String]
        do {
            applied = try await Self.within(readyTimeout) { try await self.appliedMigrations() }
        } catch let error as StoreError where error.description.hasPrefix("PostgreSQL") {
            throw error
        } catch {
            throw StoreError("PostgreSQL (schema \(schema)) does not answer: \(String(reflecting: error))")
        }
        let known = Self.migrations.map(\.name)
        guard applied == known else {
            throw StoreError("PostgreSQL (schema \(schema)) has migrations \(applied.joined(separator: ", ")); this build knows \(known.joined(separator: ", "))")
        }
    }

    /// Names of the migrations applied, in order.
    public func appliedMigrations() async throws -> [String] {
        try await ready()
        var names: [String] = []
        for try await name in try await client.query("SELECT name FROM centaur_migration ORDER BY pos", logger: logger).decode(String.self) {
            names.append(name)
        }
        return names
    }

    /// The pool's settings from the URL, and its `connect_timeout` when it names one; a value it cannot use is an error.
    static func configuration(_ url: String) throws -> (PostgresClient.Configuration, connectTimeout: Duration?) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else {
            throw StoreError("\(DatabaseURL.postgres(url)) is not a PostgreSQL URL: postgres://USER@HOST:PORT/DB")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw StoreError("sslmode \(mode) is not one of disable, prefer, require")
        }
        var connectTimeout: Duration?
        if let text = components.queryItems?.first(where: { $0.name == "connect_timeout" })?.value {
            guard let seconds = Int(text), seconds > 0 else { throw StoreError("connect_timeout \(text) is not a whole number of seconds above 0") }
            connectTimeout = .seconds(seconds)
        }
        let configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls)
        return (configuration, connectTimeout)
    }

    // MARK: Records as JSON

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    static func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }

    static func record<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(type, from: Data(text.utf8)) }

    /// Runs `query` and decodes the first column of every row (a record's `record::text`) as `T`.
    func records<T: Decodable>(_ type: T.Type, _ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [T] {
        try await ready()
        let rows = if let connection { try await connection.query(query, logger: logger) } else { try await client.query(query, logger: logger) }
        var result: [T] = []
        for try await text in rows.decode(String.self) { result.append(try Self.record(type, text)) }
        return result
    }

    /// Runs a statement and counts the rows it returned (`RETURNING 1` makes an update's count).
    @discardableResult
    func execute(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> Int {
        try await ready()
        let rows = if let connection { try await connection.query(query, logger: logger) } else { try await client.query(query, logger: logger) }
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    /// Runs `body` in one transaction.
    ///
    /// Not PostgresNIO's `withTransaction`: when the server goes away mid-transaction (a restart, a fail-over), its
    /// ROLLBACK on the dead connection never returns, and the caller with it. Here a failed transaction is rolled back
    /// only while the connection is still open, within a few seconds; otherwise the connection is closed, which the
    /// server treats as a rollback, and the pool replaces it.
    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await ready()
        return try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                if connection.isClosed {
                    throw error
                }
                let logger = logger
                let rolledBack = (try? await Self.abandoning(after: .seconds(3)) {
                    try await connection.query("ROLLBACK", logger: logger)
                    return true
                }) ?? false
                if !rolledBack { _ = connection.close() as EventLoopFuture<Void> }
                throw error
            }
        }
    }

    /// Seconds since 1970, the typed columns' time (exact for a `Date`, comparable in SQL).
    static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970 }
}

/// True for the first caller only.
final class FirstOnly: Sendable {
    private let done = Mutex(false)
    func first() -> Bool { done.withLock { done in defer { done = true }; return !done } }
}
