import Foundation
import GRDB

/// A person who signs in to the web pages: a reviewer or an admin. Only a bcrypt hash of the password is kept.
public struct UserRecord: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        /// The review queue and application pages.
        case reviewer
        /// Also the operations pages (traces, usage, evals, dataset statistics).
        case admin
    }

    public var id: String
    public var username: String
    public var passwordHash: String
    public var role: Role
    public var createdAt: Date
    /// When an admin disabled the account (`centaur users disable`); a disabled user cannot sign in.
    public var disabledAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, username, role
        case passwordHash = "password_hash", createdAt = "created_at", disabledAt = "disabled_at"
    }

    public init(id: String, username: String, passwordHash: String, role: Role, createdAt: Date, disabledAt: Date? = nil) {
        self.id = id; self.username = username; self.passwordHash = passwordHash; self.role = role; self.createdAt = createdAt
        self.disabledAt = disabledAt
    }
}

/// A signed-in browser: the cookie holds the secret, the store its SHA-256; each session has its own CSRF token.
public struct SessionRecord: Sendable, Hashable, Codable {
    public var idHash: String
    public var userID: String
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case idHash = "id_hash", userID = "user_id", csrfToken = "csrf_token", createdAt = "created_at", expiresAt = "expires_at"
    }

    public init(idHash: String, userID: String, csrfToken: String, createdAt: Date, expiresAt: Date) {
        self.idHash = idHash; self.userID = userID; self.csrfToken = csrfToken; self.createdAt = createdAt; self.expiresAt = expiresAt
    }
}

/// Users and their sessions.
public protocol UserStore: Sendable {
    func insert(_ user: UserRecord) async throws
    func user(username: String) async throws -> UserRecord?
    func user(id: String) async throws -> UserRecord?
    /// Stores a new session and ends the user's earlier ones: signing in again signs out everywhere else.
    func startSession(_ session: SessionRecord) async throws
    /// The unexpired session with this hash.
    func session(idHash: String, now: Date) async throws -> SessionRecord?
    func deleteSession(idHash: String) async throws
    /// Every user, by name.
    func users() async throws -> [UserRecord]
    /// Disables (or enables again) a user and ends their sessions; false when there is no such user.
    func setDisabled(username: String, at date: Date?) async throws -> Bool
    /// Replaces a user's password hash and ends their sessions; false when there is no such user.
    func setPasswordHash(username: String, hash: String) async throws -> Bool
}

extension UserRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "web_user" }
extension SessionRecord: FetchableRecord, PersistableRecord { public static let databaseTableName = "web_session" }

extension SQLiteStore: UserStore {
    static func registerUserMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("0008-create-web-users") { db in
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
        migrator.registerMigration("0009-web-user-disabled") { db in
            try db.alter(table: "web_user") { t in t.add(column: "disabled_at", .datetime) }
        }
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
