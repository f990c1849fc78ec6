import CentaurConfiguration
import CentaurCore
import CentaurGuardrails
import Crypto
import Foundation
import Synchronization

/// The semantic cache's entries: for each scope (tenant, model, system prompt, earlier turns, tools, schema), the
/// vectors of the last user messages answered, with their answers. Exact search within a scope (scopes are small:
/// one tenant's questions to one configured prompt); kept in memory, the oldest entries evicted past `capacity`.
public final class SemanticCache: Sendable {
    public struct Entry: Sendable {
        public var vector: [Float]
        public var response: ModelResponse
        public var originRequestID: String
        public var createdAt: Date
        public var expiresAt: Date
        public var costUSD: Double?
        /// The text's literals (``SemanticCache/literals(_:)``); an entry serves only texts with the same ones.
        public var literals: [String]
        var sequence: UInt64 = 0

        public init(vector: [Float], response: ModelResponse, originRequestID: String, createdAt: Date, expiresAt: Date, costUSD: Double?,
                    literals: [String] = []) {
            self.vector = vector; self.response = response; self.originRequestID = originRequestID
            self.createdAt = createdAt; self.expiresAt = expiresAt; self.costUSD = costUSD; self.literals = literals
        }
    }

    /// The literal values of a text, which meaning-based matching must not blur: every run of digits (with its
    /// decimal point) and every quoted span, in order of appearance. "Convert 51 miles" and "Convert 56 miles" embed
    /// almost alike but have different literals.
    public static func literals(_ text: String) -> [String] {
        var found: [String] = []
        var digits = ""
        var quote: Character?
        var quoted = ""
        let quotes: [Character: Character] = ["\"": "\"", "'": "'", "“": "”", "‘": "’", "`": "`"]
        var previous: Character = " "
        for character in text {
            if let closing = quote {
                if character == closing { found.append("\"" + quoted.lowercased()); quote = nil; quoted = "" } else { quoted.append(character) }
                previous = character
                continue
            }
            if character.isNumber || (character == "." && !digits.isEmpty) {
                digits.append(character)
            } else {
                if !digits.isEmpty { found.append(digits.hasSuffix(".") ? String(digits.dropLast()) : digits); digits = "" }
                // An apostrophe inside a word (France's) opens nothing.
                if let closing = quotes[character], !(character == "'" && previous.isLetter) { quote = closing }
            }
            previous = character
        }
        if !digits.isEmpty { found.append(digits.hasSuffix(".") ? String(digits.dropLast()) : digits) }
        return found
    }

    public let capacity: Int
    private let state = Mutex(State())

    struct State {
        var scopes: [String: [Entry]] = [:]
        var count = 0
        var sequence: UInt64 = 0
    }

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The most similar unexpired entry of `scope` and its cosine similarity (vectors are unit length).
    /// - Parameter literals: when given, only entries with these literals are considered.
    public func nearest(_ vector: [Float], scope: String, now: Date, literals: [String]? = nil) -> (entry: Entry, similarity: Float)? {
        state.withLock { state in
            guard var entries = state.scopes[scope] else { return nil }
            let before = entries.count
            entries.removeAll { $0.expiresAt <= now }
            state.count -= before - entries.count
            state.scopes[scope] = entries.isEmpty ? nil : entries
            var best: (Entry, Float)?
            for entry in entries where entry.vector.count == vector.count && (literals == nil || entry.literals == literals) {
                var dot: Float = 0
                for i in vector.indices { dot += vector[i] * entry.vector[i] }
                if dot > best?.1 ?? -2 { best = (entry, dot) }
            }
            return best.map { (entry: $0.0, similarity: $0.1) }
        }
    }

    public func insert(_ entry: Entry, scope: String) {
        state.withLock { state in
            state.sequence += 1
            var entry = entry
            entry.sequence = state.sequence
            state.scopes[scope, default: []].append(entry)
            state.count += 1
            guard state.count > capacity else { return }
            // Evict the oldest tenth in one pass.
            let all = state.scopes.values.flatMap { $0.map(\.sequence) }.sorted()
            let cut = all[min(all.count - 1, capacity / 10)]
            for (key, entries) in state.scopes {
                let kept = entries.filter { $0.sequence > cut }
                state.scopes[key] = kept.isEmpty ? nil : kept
            }
            state.count = state.scopes.values.reduce(0) { $0 + $1.count }
        }
    }

    public var count: Int { state.withLock { $0.count } }

    /// Unit length, so a dot product is the cosine.
    static func normalised(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}

/// Answers a request to an opted-in route from the ``SemanticCache`` when its last user message means nearly the same
/// as an earlier one's (cosine ≥ the threshold), carries the same literals (numbers and quoted text, unless
/// `match_literals: false`) and everything else about the request is identical. Sits after the
/// exact cache, on the redacted request (so stored answers hold placeholders, never personal data). The text is
/// embedded with the configured embedding model after the data policy of that model has been applied too.
///
/// The trace says what happened: a hit has `cache: hit`, `cache_kind: semantic`, `cache_similarity` and the origin
/// request's id; a miss has `cache_semantic: miss` and `cache_nearest_similarity` (the best it had, for tuning the
/// threshold); the lookup's embedding tokens are `cache_embedding_tokens`.
public struct SemanticCacheMiddleware: GatewayMiddleware {
    public let settings: SemanticCacheSettings
    public let cache: SemanticCache
    let embedder: any EmbeddingModel
    /// What the embedding model may receive.
    let allowed: Set<PIIType>
    let detector: PIIDetector
    private let now: @Sendable () -> Date

    public static let scopeVersion = "centaur-semantic-v1"

    public init(settings: SemanticCacheSettings, embedder: any EmbeddingModel, allowed: Set<PIIType> = Set(PIIType.allCases),
                cache: SemanticCache? = nil, detector: PIIDetector = PIIDetector(), now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.embedder = embedder
        self.allowed = allowed
        self.cache = cache ?? SemanticCache(capacity: settings.capacity)
        self.detector = detector
        self.now = now
    }

    /// The scope (everything but the last user message, hashed with the tenant) and that message's text; nil when the
    /// request cannot be served by meaning (the last message is not the user's plain text).
    static func split(_ request: ModelRequest, tenant: String) -> (scope: String, text: String)? {
        guard let last = request.messages.last, last.role == .user, !last.content.isEmpty else { return nil }
        var text = ""
        for block in last.content {
            guard case .text(let part) = block else { return nil }
            text += text.isEmpty ? part : "\n" + part
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        var rest = request
        rest.metadata = [:]
        rest.messages.removeLast()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var hasher = SHA256()
        hasher.update(data: Data("\(scopeVersion)\n\(tenant)\n".utf8))
        hasher.update(data: (try? encoder.encode(rest)) ?? Data())
        return (hasher.finalize().hexString, text)
    }

    struct Lookup {
        var scope: String
        var vector: [Float]
        var literals: [String]
        var cached: ModelResponse?
    }

    func lookup(_ request: ModelRequest, context: GatewayContext) async -> Lookup? {
        guard settings.routes.contains(context.route), context.cacheControl != .noCache,
              context.facts.cacheHit == nil,
              let (scope, text) = Self.split(request, tenant: CacheMiddleware.tenant(context)) else { return nil }
        var input = text
        if allowed.count < PIIType.allCases.count {
            input = Redactor(detector: detector, mode: .tokenize, allowed: allowed).redact(text, vault: TokenVault()).text
        }
        let result: EmbeddingResult
        do {
            result = try await embedder.embeddings(for: EmbeddingRequest(inputs: [input]))
        } catch {
            // A cache that cannot embed is a miss, never a failed request.
            context.facts.semanticCache(.unavailable("\(error)"))
            return nil
        }
        guard let raw = result.vectors.first, !raw.isEmpty else { return nil }
        let vector = SemanticCache.normalised(raw)
        let literals = SemanticCache.literals(text)
        let nearest = cache.nearest(vector, scope: scope, now: now(), literals: settings.matchLiterals ? literals : nil)
        if let nearest, Double(nearest.similarity) >= settings.threshold {
            context.facts.cache(.hit(CallFacts.CacheHit(originRequestID: nearest.entry.originRequestID, originTime: nearest.entry.createdAt,
                                                        savedUSD: nearest.entry.costUSD, similarity: Double(nearest.similarity))))
            context.facts.semanticCache(.hit(similarity: Double(nearest.similarity), embeddingTokens: result.usage.inputTokens))
            return Lookup(scope: scope, vector: vector, literals: literals, cached: nearest.entry.response)
        }
        context.facts.semanticCache(.miss(nearest: nearest.map { Double($0.similarity) }, embeddingTokens: result.usage.inputTokens))
        if context.facts.cacheOutcome == nil { context.facts.cache(.miss) }
        return Lookup(scope: scope, vector: vector, literals: literals, cached: nil)
    }

    func save(_ response: ModelResponse, lookup: Lookup, context: GatewayContext) {
        guard response.stopReason != .contentFiltered else { return }
        cache.insert(SemanticCache.Entry(
            vector: lookup.vector, response: response, originRequestID: context.requestID, createdAt: context.startedAt,
            expiresAt: now().addingTimeInterval(settings.ttlSeconds),
            costUSD: context.attempts.all.compactMap(\.costUSD).reduce(nil) { ($0 ?? 0) + $1 }, literals: lookup.literals), scope: lookup.scope)
    }

    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        guard let lookup = await lookup(request, context: context) else { return try await next(request, context) }
        if let cached = lookup.cached { return cached }
        let response = try await next(request, context)
        save(response, lookup: lookup, context: context)
        return response
    }

    public func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream {
        guard let lookup = await lookup(request, context: context) else { return try await next(request, context) }
        if let cached = lookup.cached { return .replaying(cached) }
        let upstream = try await next(request, context)
        return .producing { continuation in
            var accumulator = ModelResponseAccumulator()
            for try await event in upstream {
                accumulator.add(event)
                continuation.yield(event)
            }
            if let response = try? accumulator.response(latency: .zero, timeToFirstToken: nil) { save(response, lookup: lookup, context: context) }
        }
    }
}
