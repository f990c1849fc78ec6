import CentaurStore
import Foundation
import GRDB

extension APIKeyRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "api_key"
}

extension SQLiteStore: APIKeyStore {
    public func insert(_ key: APIKeyRecord) async throws {
        try await pool.write { db in try key.insert(db) }
    }

    public func key(hash: String) async throws -> APIKeyRecord? {
        try await pool.read { db in
            try APIKeyRecord.fetchOne(db, sql: "SELECT * FROM api_key WHERE hash = ? AND revoked_at IS NULL", arguments: [hash])
        }
    }

    public func keys() async throws -> [APIKeyRecord] {
        try await pool.read { db in try APIKeyRecord.fetchAll(db, sql: "SELECT * FROM api_key ORDER BY created_at") }
    }

    public func revoke(id: String, at date: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE api_key SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [date, id])
            return db.changesCount > 0
        }
    }
}
