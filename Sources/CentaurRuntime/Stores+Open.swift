import CentaurCore
import CentaurPostgres
import CentaurSQLite
import CentaurStore
import Foundation
import Logging

extension Stores {
    /// Opens every store from a database URL. The one place a backend is chosen: callers hold the protocols. With
    /// SQLite, documents are files under `dataDirectory/blobs`; with PostgreSQL they are rows in the shared database, so
    /// every replica reads what any replica received. A PostgreSQL pool connects when first used; a server that cannot
    /// be reached then fails each call with a clear error (nothing falls back to another database).
    public static func open(_ database: DatabaseURL, dataDirectory: String, logger: Logger = .disabled) throws -> Stores {
        switch database {
        case .sqlite(let path):
            let store = try SQLiteStore(path: path)
            var stores = Stores(store, blobs: FileBlobStore(root: URL(fileURLWithPath: dataDirectory).appendingPathComponent("blobs")))
            stores.check = { _ = try await store.appliedMigrations() }
            return stores
        case .postgres(let url):
            let store = try PostgresStore(url: url, logger: logger)
            var stores = Stores(store, blobs: store)
            stores.budgets = store
            stores.indexes = store
            stores.jobWakeups = { wake in try await store.listenForJobs(wake) }
            stores.check = { try await store.checkCurrent() }
            return stores
        }
    }

    /// The database `environment` names (`CENTAUR_DATABASE_URL`), else the configuration's `database:`, else
    /// `dataDirectory/centaur.sqlite`; documents under `dataDirectory/blobs`.
    public static func open(dataDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            configured: String? = nil, logger: Logger = .disabled) throws -> Stores {
        try open(try DatabaseURL.configured(environment: environment, configured: configured, dataDirectory: dataDirectory),
                 dataDirectory: dataDirectory, logger: logger)
    }
}

extension DatabaseURL {
    /// `CENTAUR_DATABASE_URL` when set (the CLI's `--database` sets it), else `configured` (centaur.yaml's
    /// `database:`), else the embedded default under the data directory.
    public static func configured(environment: [String: String], configured: String? = nil, dataDirectory: String) throws -> DatabaseURL {
        if let text = environment["CENTAUR_DATABASE_URL"], !text.isEmpty { return try DatabaseURL(parsing: text) }
        if let configured, !configured.isEmpty { return try DatabaseURL(parsing: configured) }
        return .default(dataDirectory: dataDirectory)
    }
}
