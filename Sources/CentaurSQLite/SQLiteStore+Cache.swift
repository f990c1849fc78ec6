import CentaurStore
import Foundation
import GRDB

extension CachedResponseRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "response_cache" }

extension SQLiteStore: ResponseCacheStore {
    static func createResponseCache(_ db: Database) throws {
        try db.create(table: "response_cache") { t in
            t.primaryKey("key", .text)
            t.column("tenant", .text).notNull()
            t.column("model", .text).notNull()
            t.column("response", .jsonText).notNull()
            t.column("origin_request_id", .text).notNull()
            t.column("created_at", .datetime).notNull()
            t.column("expires_at", .datetime).notNull().indexed()
            t.column("cost_usd", .double)
        }
    }

    public func cachedResponse(key: String, now: Date) async throws -> CachedResponseRecord? {
        try await pool.read { db in
            try CachedResponseRecord.fetchOne(db, sql: "SELECT * FROM response_cache WHERE key = ? AND expires_at > ?", arguments: [key, now])
        }
    }

    public func store(_ entry: CachedResponseRecord) async throws {
        try await pool.write { db in try entry.save(db) }
    }

    public func purgeExpired(now: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM response_cache WHERE expires_at <= ?", arguments: [now])
            return db.changesCount
        }
    }
}
