import CentaurStore
import Foundation
import GRDB

extension UserRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "web_user" }
extension SessionRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "web_session" }

extension SQLiteStore: UserStore {
    static func createWebUsers(_ db: Database) throws {
        try db.create(table: "web_user") { t in
            t.primaryKey("id", .text)
            t.column("username", .text).notNull().unique()
            t.column("password_hash", .text).notNull()
            t.column("role", .text).notNull().check { ["reviewer", "admin"].contains($0) }
            t.column("created_at", .datetime).notNull()
        }
        try db.create(table: "web_session") { t in
            t.primaryKey("id_hash", .text)
            t.column("user_id", .text).notNull().references("web_user", onDelete: .cascade)
            t.column("csrf_token", .text).notNull()
            t.column("created_at", .datetime).notNull()
            t.column("expires_at", .datetime).notNull().indexed()
        }
    }
    static func addWebUserDisabled(_ db: Database) throws {
        try db.alter(table: "web_user") { t in t.add(column: "disabled_at", .datetime) }
    }

    public func users() async throws -> [UserRecord] {
        try await pool.read { db in try UserRecord.fetchAll(db, sql: "SELECT * FROM web_user ORDER BY username") }
    }

    public func setDisabled(username: String, at date: Date?) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE web_user SET disabled_at = ? WHERE username = ?", arguments: [date, username])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "DELETE FROM web_session WHERE user_id IN (SELECT id FROM web_user WHERE username = ?)", arguments: [username])
            return true
        }
    }

    public func setPasswordHash(username: String, hash: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE web_user SET password_hash = ? WHERE username = ?", arguments: [hash, username])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "DELETE FROM web_session WHERE user_id IN (SELECT id FROM web_user WHERE username = ?)", arguments: [username])
            return true
        }
    }

    public func insert(_ user: UserRecord) async throws {
        do { try await pool.write { db in try user.insert(db) } } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw StoreError("a user named \(user.username) already exists")
        }
    }

    public func user(username: String) async throws -> UserRecord? {
        try await pool.read { db in try UserRecord.fetchOne(db, sql: "SELECT * FROM web_user WHERE username = ?", arguments: [username]) }
    }

    public func user(id: String) async throws -> UserRecord? {
        try await pool.read { db in try UserRecord.fetchOne(db, key: id) }
    }

    public func startSession(_ session: SessionRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM web_session WHERE expires_at <= ? OR user_id = ?", arguments: [session.createdAt, session.userID])
            try session.insert(db)
        }
    }

    public func session(idHash: String, now: Date) async throws -> SessionRecord? {
        try await pool.read { db in
            try SessionRecord.fetchOne(db, sql: "SELECT * FROM web_session WHERE id_hash = ? AND expires_at > ?", arguments: [idHash, now])
        }
    }

    public func deleteSession(idHash: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM web_session WHERE id_hash = ?", arguments: [idHash]) }
    }
}
