import Foundation

/// Every store Centaur keeps, each behind its narrow protocol, opened once by the composition root from a
/// ``DatabaseURL`` (`SQLiteStore` for `sqlite:PATH`, `PostgresStore` for `postgres://…`) and passed to what
/// needs it. Tests build one from the in-memory doubles in `CentaurTestSupport`.
public struct Stores: Sendable {
    public var traces: any TraceStore
    public var keys: any APIKeyStore
    public var cache: any ResponseCacheStore
    public var users: any UserStore
    public var evals: any EvalStore
    /// Applications, the audit log, labelled examples and jobs: one backend, so a workflow step commits atomically.
    public var workflow: any WorkflowStore
    public var blobs: any BlobStore
    /// Budgets shared by every process on the database (PostgreSQL); nil where one process owns the database (SQLite,
    /// the doubles), which then keeps its budgets in process (``LocalBudgets``).
    public var budgets: (any BudgetStore)?
    /// Calls its argument whenever a job is queued by any process on the shared database, until cancelled (PostgreSQL's
    /// LISTEN/NOTIFY); nil where only this process queues jobs (its ``JobSignal`` already wakes its workers).
    public var jobWakeups: (@Sendable (@escaping @Sendable () -> Void) async throws -> Void)?
    /// Retrieval indexes in the shared database (PostgreSQL), so replicas search the same ones; nil where one machine
    /// owns the data (SQLite), which keeps them as files in the data directory.
    public var indexes: (any RetrievalIndexStore)?
    /// Whether the database answers and its schema is this build's (`/readyz`, `centaur migrate`): throws a clear
    /// error otherwise. The backend sets it (`Stores.open`); doubles have nothing to check.
    public var check: @Sendable () async throws -> Void = {}

    public var applications: any ApplicationStore { workflow }
    public var audit: any AuditLog { workflow }
    public var examples: any LabelledExampleStore { workflow }
    public var jobs: any JobQueue { workflow }

    public init(traces: any TraceStore, keys: any APIKeyStore, cache: any ResponseCacheStore, users: any UserStore,
                evals: any EvalStore, workflow: any WorkflowStore, blobs: any BlobStore) {
        self.traces = traces; self.keys = keys; self.cache = cache; self.users = users; self.evals = evals
        self.workflow = workflow; self.blobs = blobs
    }

    /// One backend that implements every record protocol (SQLite, the in-memory double), with its blob store.
    public init(_ backend: any TraceStore & APIKeyStore & ResponseCacheStore & UserStore & EvalStore & WorkflowStore,
                blobs: any BlobStore) {
        self.init(traces: backend, keys: backend, cache: backend, users: backend, evals: backend, workflow: backend, blobs: blobs)
    }
}

/// Where the records live: `sqlite:PATH` (the embedded default, `DATA_DIR/centaur.sqlite`) or, with the PostgreSQL
/// backend, `postgres://USER@HOST:PORT/DB`.
public enum DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(String)

    /// The default under a data directory.
    public static func `default`(dataDirectory: String) -> DatabaseURL {
        .sqlite(path: URL(fileURLWithPath: dataDirectory).appendingPathComponent("centaur.sqlite").path)
    }

    /// Parses `sqlite:PATH` (also `sqlite://PATH`) or `postgres://…` / `postgresql://…`; a clear error otherwise.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            self = .postgres(trimmed)
        } else if trimmed.hasPrefix("sqlite:") {
            var path = String(trimmed.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw StoreError("database URL \(text) names no file: use sqlite:PATH") }
            self = .sqlite(path: path)
        } else {
            throw StoreError("database URL \(text) is not one Centaur opens: use sqlite:PATH or postgres://USER@HOST:PORT/DB")
        }
    }

    /// The URL without a password (for logs and errors).
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres://…" }
            if components.password != nil { components.password = "***" }
            return components.string ?? "postgres://…"
        }
    }
}
