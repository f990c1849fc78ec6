import CentaurStore
import Foundation

extension Stores {
    /// Opens every store from a database URL, with documents kept under `dataDirectory/blobs`. The one place a
    /// backend is chosen: callers hold the protocols.
    public static func open(_ database: DatabaseURL, dataDirectory: String) throws -> Stores {
        let blobs = FileBlobStore(root: URL(fileURLWithPath: dataDirectory).appendingPathComponent("blobs"))
        switch database {
        case .sqlite(let path):
            return Stores(try SQLiteStore(path: path), blobs: blobs)
        case .postgres:
            throw StoreError("\(database): this build of Centaur has no PostgreSQL backend; use sqlite:PATH (the default)")
        }
    }

    /// The embedded default: `dataDirectory/centaur.sqlite` and `dataDirectory/blobs`.
    public static func open(dataDirectory: String) throws -> Stores {
        try open(.default(dataDirectory: dataDirectory), dataDirectory: dataDirectory)
    }
}
