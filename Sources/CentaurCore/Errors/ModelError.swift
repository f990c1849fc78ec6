import Foundation

/// A failure to get an answer from a model, typed so callers can retry, fall back or explain.
///
/// A struct over a private code, so new kinds can be added without breaking `switch`es:
/// compare ``kind`` with the static kinds.
///
/// ```swift
/// catch let error as ModelError where error.kind == .rateLimited {
///     try await clock.sleep(for: error.retryAfter ?? .seconds(1))
/// }
/// ```
public struct ModelError: Error, Sendable, Hashable {
    /// The kind of failure.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Code: String, Sendable {
            case rateLimited = "rate_limited"
            case contextTooLong = "context_too_long"
            case refused
            case invalidRequest = "invalid_request"
            case authentication
            case permissionDenied = "permission_denied"
            case notFound = "not_found"
            case overloaded
            case unavailable
            case timeout
            case schemaViolation = "schema_violation"
            case malformedResponse = "malformed_response"
            case connection
            case upstream
            case guardrail
            case storeUnavailable = "store_unavailable"
        }
        fileprivate let code: Code

        /// HTTP 429: too many requests. ``ModelError/retryAfter`` says when to try again, when known.
        public static let rateLimited = Kind(code: .rateLimited)
        /// The prompt does not fit the model's context window.
        public static let contextTooLong = Kind(code: .contextTooLong)
        /// The model or the provider's safety system declined to answer.
        public static let refused = Kind(code: .refused)
        /// The provider rejected the request as malformed; do not retry unchanged.
        public static let invalidRequest = Kind(code: .invalidRequest)
        /// The credentials are missing, wrong or expired.
        public static let authentication = Kind(code: .authentication)
        /// The credentials are valid but not allowed to use this model.
        public static let permissionDenied = Kind(code: .permissionDenied)
        /// The model or endpoint does not exist upstream.
        public static let notFound = Kind(code: .notFound)
        /// The provider is overloaded (Anthropic 529, Bedrock ThrottlingException on capacity); retry later.
        public static let overloaded = Kind(code: .overloaded)
        /// The provider is down or answered 5xx; retry or fall back.
        public static let unavailable = Kind(code: .unavailable)
        /// No answer within the time allowed.
        public static let timeout = Kind(code: .timeout)
        /// The answer does not match the requested JSON Schema; ``ModelError/violations`` says where.
        public static let schemaViolation = Kind(code: .schemaViolation)
        /// The provider's answer could not be understood (bad JSON, corrupt frame).
        public static let malformedResponse = Kind(code: .malformedResponse)
        /// The connection failed or was cut before the answer ended.
        public static let connection = Kind(code: .connection)
        /// Any other upstream error status.
        public static let upstream = Kind(code: .upstream)
        /// A guardrail refused the request or the answer (deny list, size limit, PII leak, injection, schema).
        public static let guardrail = Kind(code: .guardrail)
        /// A store Centaur needs to decide on the request (the shared budgets) does not answer: the request is refused
        /// rather than let through unchecked (HTTP 503).
        public static let storeUnavailable = Kind(code: .storeUnavailable)

        /// A stable snake_case name for logs, metrics and API error bodies.
        public var description: String { code.rawValue }

        /// Whether trying the same request again later may succeed.
        public var isRetryable: Bool {
            switch code {
            case .rateLimited, .overloaded, .unavailable, .timeout, .connection, .storeUnavailable: true
            default: false
            }
        }
    }

    public let kind: Kind
    /// What happened, in a sentence for people.
    public let message: String
    /// The provider that failed, when known.
    public var provider: String?
    /// The upstream HTTP status, when there was one.
    public var status: Int?
    /// How long the provider asked us to wait before retrying.
    public var retryAfter: Duration?
    /// Every schema violation, for ``Kind/schemaViolation``.
    public var violations: [SchemaViolation]

    public init(
        kind: Kind, message: String, provider: String? = nil, status: Int? = nil,
        retryAfter: Duration? = nil, violations: [SchemaViolation] = []
    ) {
        self.kind = kind
        self.message = message
        self.provider = provider
        self.status = status
        self.retryAfter = retryAfter
        self.violations = violations
    }

    public static func rateLimited(retryAfter: Duration?, message: String = "rate limited by the provider", provider: String?, status: Int? = 429) -> ModelError {
        ModelError(kind: .rateLimited, message: message, provider: provider, status: status, retryAfter: retryAfter)
    }
    public static func contextTooLong(_ message: String, provider: String?, status: Int? = nil) -> ModelError {
        ModelError(kind: .contextTooLong, message: message, provider: provider, status: status)
    }
    public static func refused(_ message: String, provider: String?) -> ModelError {
        ModelError(kind: .refused, message: message, provider: provider)
    }
    public static func invalidRequest(_ message: String, provider: String?, status: Int? = 400) -> ModelError {
        ModelError(kind: .invalidRequest, message: message, provider: provider, status: status)
    }
    public static func authentication(_ message: String, provider: String?, status: Int? = 401) -> ModelError {
        ModelError(kind: .authentication, message: message, provider: provider, status: status)
    }
    public static func overloaded(_ message: String, provider: String?, status: Int?, retryAfter: Duration? = nil) -> ModelError {
        ModelError(kind: .overloaded, message: message, provider: provider, status: status, retryAfter: retryAfter)
    }
    public static func unavailable(_ message: String, provider: String?, status: Int?, retryAfter: Duration? = nil) -> ModelError {
        ModelError(kind: .unavailable, message: message, provider: provider, status: status, retryAfter: retryAfter)
    }
    public static func timeout(_ message: String, provider: String?) -> ModelError {
        ModelError(kind: .timeout, message: message, provider: provider)
    }
    public static func schemaViolation(_ violations: [SchemaViolation], provider: String? = nil) -> ModelError {
        let summary = violations.prefix(3).map(\.description).joined(separator: "; ")
        return ModelError(
            kind: .schemaViolation, message: "the answer does not match the schema: \(summary)",
            provider: provider, violations: violations)
    }
    public static func malformedResponse(_ message: String, provider: String?) -> ModelError {
        ModelError(kind: .malformedResponse, message: message, provider: provider)
    }
    public static func connection(_ message: String, provider: String?) -> ModelError {
        ModelError(kind: .connection, message: message, provider: provider)
    }
}

extension ModelError: CustomStringConvertible, LocalizedError {
    public var description: String {
        var parts = ["\(kind)"]
        if let provider { parts.append("from \(provider)") }
        if let status { parts.append("(HTTP \(status))") }
        var text = parts.joined(separator: " ") + ": " + message
        if let retryAfter { text += " (retry after \(retryAfter.formatted(.units(allowed: [.seconds, .milliseconds]))))" }
        return text
    }

    public var errorDescription: String? { description }
}

extension Duration {
    /// Seconds as a `Double`, for display and JSON.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
