import CentaurCore
import CentaurPostgres
import CentaurSQLite
import CentaurStore
import Foundation
import Logging

extension Stores {
    /// Opens every store from a database URL, with documents kept under `dataDirectory/blobs`. The one place a
    /// backend is chosen: callers hold the protocols. A PostgreSQL pool connects when first used; a server that cannot
    /// be reached then fails each call with a clear error (nothing falls back to another database).
    public static func open(_ database: DatabaseURL, dataDirectory: String, logger: Logger = .disabled) throws -> Stores {
        let blobs = FileBlobStore(root: URL(fileURLWithPath: dataDirectory).appendingPathComponent("blobs"))
        switch database {
        case .sqlite(let path):
            return Stores(try SQLiteStore(path: path), blobs: blobs)
        case .postgres(let url):
            return Stores(try PostgresStore(url: url, logger: logger), blobs: blobs)
        }
    }

    /// The database `environment` names (`CENTAUR_DATABASE_URL`), else `dataDirectory/centaur.sqlite`; documents under
    /// `dataDirectory/blobs`.
    public static func open(dataDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Stores {
        try open(try DatabaseURL.configured(environment: environment, dataDirectory: dataDirectory), dataDirectory: dataDirectory)
    }
}

extension DatabaseURL {
    /// `CENTAUR_DATABASE_URL` when set, else the embedded default under the data directory.
    public static func configured(environment: [String: String], dataDirectory: String) throws -> DatabaseURL {
        if let text = environment["CENTAUR_DATABASE_URL"], !text.isEmpty { return try DatabaseURL(parsing: text) }
        return .default(dataDirectory: dataDirectory)
    }
}
