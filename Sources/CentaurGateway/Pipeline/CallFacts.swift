import CentaurCore
import Foundation
import Synchronization

/// Which API or caller a model call came from, as traces and metrics record it. Open for new callers.
public struct Surface: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    /// `POST /v1/chat/completions`.
    public static let openAI: Surface = "openai"
    /// `POST /v1/messages`.
    public static let anthropic: Surface = "anthropic"
    /// `centaur ask`.
    public static let cli: Surface = "cli"
    /// Evals' `centaur:NAME` providers.
    public static let evals: Surface = "evals"
    /// The model extractor (`centaur extract`, the extraction worker).
    public static let extraction: Surface = "extraction"
    /// Any other library caller.
    public static let library: Surface = "library"
}

/// What the pipeline's inner steps found out about one call, typed, for the endpoints (a cache hit's identity and
/// header) and the trace, which renders them as tags in one place (``tags``).
public final class CallFacts: Sendable {
    /// An answer served from the response cache, and the call that first produced it.
    public struct CacheHit: Sendable, Hashable {
        public var originRequestID: String
        public var originTime: Date
        /// What the first call cost: what this hit saved.
        public var savedUSD: Double?
        /// For a semantic hit, how similar this request's last message was to the origin's (cosine).
        public var similarity: Double?

        public init(originRequestID: String, originTime: Date, savedUSD: Double?, similarity: Double? = nil) {
            self.originRequestID = originRequestID; self.originTime = originTime; self.savedUSD = savedUSD; self.similarity = similarity
        }
    }

    /// What the semantic cache did.
    public enum SemanticOutcome: Sendable, Hashable {
        case hit(similarity: Double, embeddingTokens: Int)
        /// The nearest entry it had, if any.
        case miss(nearest: Double?, embeddingTokens: Int)
        /// It could not embed the text (the request went on uncached).
        case unavailable(String)
    }

    public enum CacheOutcome: Sendable, Hashable {
        case hit(CacheHit)
        case miss
    }

    private struct State {
        var cache: CacheOutcome?
        var redacted: RedactionSummary?
        var injection: [String] = []
        var piiLeak: RedactionSummary?
        var schemaRepaired = false
        var semantic: SemanticOutcome?
    }

    /// Counts by entity type, as `PERSON:2,US_SSN:1` (never the values).
    public typealias RedactionSummary = String

    private let state = Mutex(State())

    public init() {}

    public func cache(_ outcome: CacheOutcome) { state.withLock { $0.cache = outcome } }
    /// What the data policy redacted before the provider saw the request.
    public func redacted(_ summary: RedactionSummary) { state.withLock { $0.redacted = summary } }
    /// The injection heuristics that fired on the request.
    public func injectionSignals(_ rules: [String]) { state.withLock { $0.injection = rules } }
    /// Personal data in the answer that the request did not contain.
    public func piiLeak(_ summary: RedactionSummary) { state.withLock { $0.piiLeak = summary } }
    /// The answer broke the request's JSON Schema and was asked for again.
    public func schemaRepaired() { state.withLock { $0.schemaRepaired = true } }
    public func semanticCache(_ outcome: SemanticOutcome) { state.withLock { $0.semantic = outcome } }
    public var semanticOutcome: SemanticOutcome? { state.withLock { $0.semantic } }

    public var cacheOutcome: CacheOutcome? { state.withLock { $0.cache } }
    public var cacheHit: CacheHit? {
        if case .hit(let hit) = cacheOutcome { return hit }
        return nil
    }

    /// The facts as trace tags: `cache` (`hit`/`miss`) with `cache_origin_request_id`, `cache_origin_time` and
    /// `cache_cost_saved_usd` on a hit (and `cache_kind: semantic` with `cache_similarity` for a semantic one); for the
    /// semantic cache `cache_semantic` (`miss`, or why it was unavailable), `cache_nearest_similarity` and
    /// `cache_embedding_tokens`; `pii_redacted`; `guard_injection`; `guard_pii_leak`; `guard_schema_repair`.
    public var tags: [String: String] {
        let state = state.withLock { $0 }
        var tags: [String: String] = [:]
        switch state.cache {
        case .hit(let hit):
            tags["cache"] = "hit"
            tags["cache_origin_request_id"] = hit.originRequestID
            tags["cache_origin_time"] = String(hit.originTime.timeIntervalSince1970)
            if let saved = hit.savedUSD { tags["cache_cost_saved_usd"] = String(saved) }
            if let similarity = hit.similarity {
                tags["cache_kind"] = "semantic"
                tags["cache_similarity"] = String(format: "%.4f", similarity)
            }
        case .miss: tags["cache"] = "miss"
        case nil: break
        }
        switch state.semantic {
        case .hit(_, let tokens): tags["cache_embedding_tokens"] = String(tokens)
        case .miss(let nearest, let tokens):
            tags["cache_semantic"] = "miss"
            tags["cache_embedding_tokens"] = String(tokens)
            if let nearest { tags["cache_nearest_similarity"] = String(format: "%.4f", nearest) }
        case .unavailable(let reason): tags["cache_semantic"] = "unavailable: \(reason.prefix(200))"
        case nil: break
        }
        if let redacted = state.redacted { tags["pii_redacted"] = redacted }
        if !state.injection.isEmpty { tags["guard_injection"] = state.injection.joined(separator: ",") }
        if let leak = state.piiLeak { tags["guard_pii_leak"] = leak }
        if state.schemaRepaired { tags["guard_schema_repair"] = "1" }
        return tags
    }
}
