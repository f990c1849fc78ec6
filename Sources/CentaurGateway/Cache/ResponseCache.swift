import CentaurCore
import CentaurStore
import Crypto
import Foundation
import Synchronization

/// What a request asks of the cache (`Cache-Control` or `x-centaur-cache-control` on the HTTP request).
public enum CacheControl: String, Sendable, Hashable {
    /// Use the cache for deterministic requests (temperature 0).
    case automatic
    /// Never answer from the cache (the answer is still stored).
    case noCache = "no-cache"
    /// Answer only from the cache; a miss is an error.
    case onlyIfCached = "only-if-cached"
    /// Use the cache even for a non-deterministic request.
    case force
}

/// The exact response cache: an in-memory LRU in front of a ``ResponseCacheStore``. Keys are the SHA-256 of the
/// normalised request (model, system, messages, parameters, tools, response format), the cache's schema
/// version and the tenant, so one tenant's answers never serve another.
public final class ResponseCache: Sendable {
    /// Bumped when the key's normalisation changes, so old entries stop matching.
    public static let keyVersion = "centaur-cache-v1"

    public let store: (any ResponseCacheStore)?
    public let ttl: TimeInterval
    public let capacity: Int
    private let memory = Mutex(LRU())

    struct LRU {
        var entries: [String: (record: CachedResponseRecord, tick: UInt64)] = [:]
        var tick: UInt64 = 0
    }

    public init(store: (any ResponseCacheStore)?, ttl: TimeInterval = 3600, capacity: Int = 10_000) {
        self.store = store
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The key for a request from a tenant.
    public static func key(for request: ModelRequest, tenant: String) -> String {
        var normalised = request
        normalised.metadata = [:]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var hasher = SHA256()
        hasher.update(data: Data("\(keyVersion)\n\(tenant)\n".utf8))
        hasher.update(data: (try? encoder.encode(normalised)) ?? Data())
        return hasher.finalize().hexString
    }

    public func lookup(_ key: String, now: Date) async -> CachedResponseRecord? {
        let hit: CachedResponseRecord? = memory.withLock { lru in
            guard let entry = lru.entries[key] else { return nil }
            guard entry.record.expiresAt > now else { lru.entries[key] = nil; return nil }
            lru.tick += 1
            lru.entries[key] = (entry.record, lru.tick)
            return entry.record
        }
        if let hit { return hit }
        guard let store, let record = try? await store.cachedResponse(key: key, now: now) else { return nil }
        remember(record)
        return record
    }

    public func save(_ record: CachedResponseRecord) async {
        remember(record)
        try? await store?.store(record)
    }

    private func remember(_ record: CachedResponseRecord) {
        memory.withLock { lru in
            lru.tick += 1
            lru.entries[record.key] = (record, lru.tick)
            if lru.entries.count > capacity {
                // Evict the least recently used tenth in one pass.
                let cut = lru.entries.values.map(\.tick).sorted()[capacity / 10]
                lru.entries = lru.entries.filter { $0.value.tick > cut }
            }
        }
    }

    public var memoryCount: Int { memory.withLock { $0.entries.count } }
}

/// Answers repeated deterministic requests from the ``ResponseCache``. A hit sets `cache: hit` and
/// `cache_cost_saved_usd` in the trace, and the origin request's id so the server can return a byte-identical
/// body; a miss that the cache would have served stores the answer.
public struct CacheMiddleware: GatewayMiddleware {
    public let cache: ResponseCache
    private let now: @Sendable () -> Date

    public init(cache: ResponseCache, now: @escaping @Sendable () -> Date = Date.init) {
        self.cache = cache
        self.now = now
    }

    static func eligible(_ request: ModelRequest, _ control: CacheControl) -> Bool {
        switch control {
        case .force, .onlyIfCached: return true
        case .noCache: return false
        case .automatic: return request.temperature == 0
        }
    }

    static func tenant(_ context: GatewayContext) -> String {
        context.caller.map { $0.team.map { "team:\($0)" } ?? "key:\($0.keyID)" } ?? "anonymous"
    }

    func hit(_ request: ModelRequest, context: GatewayContext) async throws -> (key: String, response: ModelResponse?)? {
        let cacheable = Self.eligible(request, context.cacheControl)
        guard cacheable || context.cacheControl == .noCache else { return nil }
        let key = ResponseCache.key(for: request, tenant: Self.tenant(context))
        if cacheable, let record = await cache.lookup(key, now: now()),
           let response = try? JSONDecoder().decode(ModelResponse.self, from: Data(record.response.utf8)) {
            context.facts.cache(.hit(CallFacts.CacheHit(originRequestID: record.originRequestID, originTime: record.createdAt,
                                                        savedUSD: record.costUSD)))
            return (key, response)
        }
        if context.cacheControl == .onlyIfCached {
            throw ModelError(kind: .unavailable, message: "no cached answer for this request (only-if-cached)")
        }
        context.facts.cache(.miss)
        return (key, nil)
    }

    func save(_ response: ModelResponse, key: String, request: ModelRequest, context: GatewayContext) async {
        // An answer the semantic cache gave is not stored again as if this request had produced it.
        guard context.facts.cacheHit == nil else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(response) else { return }
        let date = context.startedAt
        await cache.save(CachedResponseRecord(
            key: key, tenant: Self.tenant(context), model: request.model, response: String(decoding: data, as: UTF8.self),
            originRequestID: context.requestID, createdAt: date, expiresAt: now().addingTimeInterval(cache.ttl),
            costUSD: context.attempts.all.compactMap(\.costUSD).reduce(nil) { ($0 ?? 0) + $1 }))
    }

    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        guard let (key, cached) = try await hit(request, context: context) else { return try await next(request, context) }
        if let cached { return cached }
        let response = try await next(request, context)
        if response.stopReason != .contentFiltered { await save(response, key: key, request: request, context: context) }
        return response
    }

    public func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream {
        guard let (key, cached) = try await hit(request, context: context) else { return try await next(request, context) }
        if let cached { return .replaying(cached) }
        let upstream = try await next(request, context)
        return .producing { continuation in
            var accumulator = ModelResponseAccumulator()
            for try await event in upstream {
                accumulator.add(event)
                continuation.yield(event)
            }
            // Only a stream that finished is stored.
            if let response = try? accumulator.response(latency: .zero, timeToFirstToken: nil) {
                await save(response, key: key, request: request, context: context)
            }
        }
    }
}
