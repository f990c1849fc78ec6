import Foundation
import GRDB

/// One cached answer: the model's response as JSON, whose request it answered first, and what it cost then.
public struct CachedResponseRecord: Sendable, Hashable, Codable {
    /// SHA-256 of the normalised request and tenant.
    public var key: String
    public var tenant: String
    public var model: String
    /// The `ModelResponse`, JSON-encoded.
    public var response: String
    public var originRequestID: String
    public var createdAt: Date
    public var expiresAt: Date
    /// The cost of the call that produced it: what each hit saves.
    public var costUSD: Double?

    enum CodingKeys: String, CodingKey {
        case key, tenant, model, response
        case originRequestID = "origin_request_id", createdAt = "created_at", expiresAt = "expires_at", costUSD = "cost_usd"
    }

    public init(key: String, tenant: String, model: String, response: String, originRequestID: String, createdAt: Date, expiresAt: Date, costUSD: Double?) {
        self.key = key; self.tenant = tenant; self.model = model; self.response = response; self.originRequestID = originRequestID
        self.createdAt = createdAt; self.expiresAt = expiresAt; self.costUSD = costUSD
    }
}

/// The store-backed layer of the exact response cache (an in-memory LRU sits in front of it).
public protocol ResponseCacheStore: Sendable {
    /// The entry for `key` if it has not expired at `now`.
    func cachedResponse(key: String, now: Date) async throws -> CachedResponseRecord?
    func store(_ entry: CachedResponseRecord) async throws
    /// Removes expired entries; returns how many.
    @discardableResult
    func purgeExpired(now: Date) async throws -> Int
}

extension CachedResponseRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "response_cache" }

extension SQLiteStore: ResponseCacheStore {
    static func registerCacheMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("0005-create-response-cache") { db in
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
