import CentaurStore
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        } catch {
            throw StoreError("cannot create the folder for the database at \(path): \(error.localizedDescription)")
        }
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        // Several processes share the file (centaur serve, and the CLI writing its traces beside it): a writer waits
        // for another's transaction instead of failing at once.
        configuration.busyMode = .timeout(10)
        do {
            // Opening and migrating hold a lock beside the file, so processes that open a new database at once
            // migrate it one after the other (the second finds every migration applied) instead of racing.
            pool = try Self.whileLocked(path + ".lock") {
                // Under the lock too: creating the empty owner-only file replaces it atomically (a rename), which
                // would wipe a database another opener had just migrated.
                try PrivateFiles.restrict(path)
                let pool = try DatabasePool(path: path, configuration: configuration)
                try Self.migrator.migrate(pool)
                return pool
            }
        } catch {
            throw StoreError("cannot open the database at \(path): \(error)")
        }
        self.path = path
    }

    /// Runs `body` holding an exclusive `flock` on `lockPath` (created owner-only), across processes.
    static func whileLocked<T>(_ lockPath: String, _ body: () throws -> T) throws -> T {
        let descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError("cannot open the lock file \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StoreError("cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// The names of the migrations applied, in order.
    public func appliedMigrations() async throws -> [String] {
        try await pool.read { db in try Self.migrator.appliedIdentifiers(db) }.sorted()
    }
}
