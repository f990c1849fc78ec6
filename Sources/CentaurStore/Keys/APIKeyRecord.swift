import Foundation

/// A stored API key: its identity and scope, and only a hash of the secret.
public struct APIKeyRecord: Sendable, Hashable, Codable, Identifiable {
    public enum Scope: String, Sendable, Hashable, Codable, CaseIterable {
        /// May call the model endpoints.
        case gateway
        /// May work the review queue: read applications in review, claim, correct and decide them.
        case reviewer
        /// May also read traces and usage and manage keys.
        case admin
    }

    public var id: String
    public var name: String
    public var team: String?
    public var scope: Scope
    /// SHA-256 of the secret, hex. The secret itself is never stored.
    public var hash: String
    /// The first characters of the secret, to tell keys apart in lists.
    public var prefix: String
    public var createdAt: Date
    public var revokedAt: Date?
    /// Requests and tokens per minute and spend per calendar month (UTC) this key may use; nil: unlimited.
    public var rpm: Int?
    public var tpm: Int?
    public var monthlyUSD: Double?

    enum CodingKeys: String, CodingKey {
        case id, name, team, scope, hash, prefix, rpm, tpm
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case monthlyUSD = "monthly_usd"
    }

    public init(id: String, name: String, team: String?, scope: Scope, hash: String, prefix: String, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.team = team
        self.scope = scope
        self.hash = hash
        self.prefix = prefix
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// Where API keys are kept.
public protocol APIKeyStore: Sendable {
    func insert(_ key: APIKeyRecord) async throws
    /// The active (not revoked) key with this hash.
    func key(hash: String) async throws -> APIKeyRecord?
    func keys() async throws -> [APIKeyRecord]
    func revoke(id: String, at: Date) async throws -> Bool
}
