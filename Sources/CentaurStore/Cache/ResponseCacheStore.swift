import Foundation

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
