import CentaurStore
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode (a GRDB `DatabasePool`), migrated at open.
///
/// Migrations are append-only and named; each runs in its own transaction. Never edit one that has shipped:
/// add the next.
public final class SQLiteStore: Sendable {
    public let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            // A folder Centaur creates is owner-only; one that exists (a shared /tmp, say) is left as it is.
            let folder = url.deletingLastPathComponent()
            if !FileManager.default.fileExists(atPath: folder.path) { try PrivateFiles.createDirectory(at: folder) }
            try PrivateFiles.restrict(path)
        } catch {
            throw StoreError("cannot create the folder for the database at \(path): \(error.localizedDescription)")
        }
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw StoreError("cannot open the database at \(path): \(error)")
        }
        self.path = path
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() async throws -> [String] {
        try await pool.read { db in try Self.migrator.appliedIdentifiers(db) }.sorted()
    }
}
