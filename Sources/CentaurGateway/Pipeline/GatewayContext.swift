import CentaurConfiguration
import CentaurCore
import Foundation
import Synchronization

/// Who is calling: the API key's identity, never the key itself.
public struct CallerIdentity: Sendable, Hashable {
    public var keyID: String
    public var keyName: String
    public var team: String?
    /// The key's own budget, if it has one.
    public var limits: Limits?

    public init(keyID: String, keyName: String, team: String? = nil, limits: Limits? = nil) {
        self.keyID = keyID
        self.keyName = keyName
        self.team = team
        self.limits = limits
    }
}

/// One try at one target, as the router made it.
public struct Attempt: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case success
        /// The provider's error, typed: its kind (rate limited, timeout…), message, status and retry-after.
        case failure(ModelError)
    }

    /// 1 for the first try of the request, counting retries and fallbacks.
    public var number: Int
    /// The configured model name tried.
    public var model: String
    public var provider: String
    public var upstreamModel: String
    public var startedAt: Date
    public var endedAt: Date
    public var outcome: Outcome
    /// Tokens the provider reported for this attempt (a cut stream may have reported some).
    public var usage: Usage
    /// The cost of this attempt; `nil` when the model's price is unknown.
    public var costUSD: Double?
    public var latency: Duration
    public var timeToFirstToken: Duration?
    public var status: Int?

    public var succeeded: Bool { outcome == .success }
}

/// Per-request state that travels through the pipeline: ids, caller, tags, and the attempts made.
///
/// A value type with one shared part: the ``AttemptLog``, which the router appends to and the tracing
/// middleware reads when the answer ends.
public struct GatewayContext: Sendable {
    public var requestID: String
    public var caller: CallerIdentity?
    /// Tags for cost attribution and trace filters (from request metadata and headers).
    public var tags: [String: String]
    /// The model name the client asked for (an alias, route or configured model).
    public var route: String
    /// Which API or caller the call came from.
    public var surface: Surface
    /// Whether the client streams the answer. When not, upstreams are called without streaming too,
    /// which gives exact usage from servers that report none while streaming.
    public var streaming = true
    public let attempts: AttemptLog
    /// When the gateway received the request.
    public let startedAt: Date
    /// What the client asked of the response cache.
    public var cacheControl: CacheControl = .automatic
    /// Whether the guardrails repair an answer that breaks the request's JSON Schema (once, then refuse). Callers
    /// that validate and repair answers themselves — the model extractor, which validates the values as they will be
    /// stored — turn it off.
    public var schemaRepair = true
    /// Whom a function's variant is chosen for, from the `x-centaur-subject` header (OpenAI's `user` and Anthropic's
    /// `metadata.user_id`, which arrive as the request's `user` metadata, come first).
    public var subject: String?
    /// What inner steps found out about the call (a cache hit, what was redacted, guard signals), typed; traces
    /// render them as tags (``CallFacts/tags``).
    public let facts: CallFacts

    public init(requestID: String = GatewayContext.newRequestID(), caller: CallerIdentity? = nil, tags: [String: String] = [:], route: String, surface: Surface = .library,
                startedAt: Date = Date()) {
        self.requestID = requestID
        self.caller = caller
        self.tags = tags
        self.route = route
        self.surface = surface
        self.attempts = AttemptLog()
        self.facts = CallFacts()
        self.startedAt = startedAt
    }
}

extension GatewayContext {
    /// A random (version 4) UUID in lower case, written without Foundation's formatting and case mapping
    /// (one is made for every request).
    public static func newRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64, low = generator.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: high >> (8 * (7 - index)))
            bytes[8 + index] = UInt8(truncatingIfNeeded: low >> (8 * (7 - index)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return [bytes[0..<4], bytes[4..<6], bytes[6..<8], bytes[8..<10], bytes[10..<16]].map(\.hexString).joined(separator: "-")
    }
}

/// The attempts made for one request, appended as they end.
public final class AttemptLog: Sendable {
    private let box = Mutex<[Attempt]>([])

    public init() {}

    public func append(_ attempt: Attempt) { box.withLock { $0.append(attempt) } }
    public var all: [Attempt] { box.withLock { $0 } }
    /// The number the next attempt gets.
    public var nextNumber: Int { box.withLock { $0.count + 1 } }
    /// The cost of every attempt, retries and fallbacks included.
    public var totalCostUSD: Double { all.compactMap(\.costUSD).reduce(0, +) }
}

