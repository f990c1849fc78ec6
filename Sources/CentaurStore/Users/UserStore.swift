import Foundation

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
