import Foundation

/// Whether an attempt answered (`ok`) or failed (`error`); the stored values and the trace table's CHECK list.
public enum TraceStatus: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case ok, error

    public var description: String { rawValue }
}

/// One attempt of one request, as stored: who called, which target answered, tokens, cost and timing.
/// A request with retries or fallbacks has one record per attempt, sharing `requestID`.
public struct TraceRecord: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var requestID: String
    public var startedAt: Date
    public var endedAt: Date
    public var keyID: String?
    public var team: String?
    /// The name the client asked for.
    public var route: String
    /// The client's API: `openai`, `anthropic`, `cli`, …
    public var surface: String
    /// The configured model tried.
    public var model: String
    public var provider: String
    public var upstreamModel: String
    /// 1-based attempt number within the request.
    public var attempt: Int
    public var status: TraceStatus
    /// The ``CentaurCore/ModelError/Kind`` name when the attempt failed.
    public var errorClass: String?
    public var errorMessage: String?
    public var httpStatus: Int?
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int
    public var costUSD: Double?
    public var latencyMS: Double
    public var timeToFirstTokenMS: Double?
    public var tags: [String: String]
    /// Captured bodies (after redaction), when capture is on.
    public var requestBody: String?
    public var responseBody: String?

    /// Column and JSON names, snake_case.
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id
        case requestID = "request_id"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case keyID = "key_id"
        case team, route, surface, model, provider
        case upstreamModel = "upstream_model"
        case attempt, status
        case errorClass = "error_class"
        case errorMessage = "error_message"
        case httpStatus = "http_status"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case cacheReadTokens = "cache_read_tokens"
        case cacheWriteTokens = "cache_write_tokens"
        case costUSD = "cost_usd"
        case latencyMS = "latency_ms"
        case timeToFirstTokenMS = "time_to_first_token_ms"
        case tags
        case requestBody = "request_body"
        case responseBody = "response_body"
    }

    public init(
        id: String = UUID().uuidString.lowercased(), requestID: String, startedAt: Date, endedAt: Date, keyID: String? = nil,
        team: String? = nil, route: String, surface: String, model: String, provider: String, upstreamModel: String,
        attempt: Int, status: TraceStatus, errorClass: String? = nil, errorMessage: String? = nil, httpStatus: Int? = nil,
        inputTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0,
        costUSD: Double? = nil, latencyMS: Double = 0, timeToFirstTokenMS: Double? = nil, tags: [String: String] = [:],
        requestBody: String? = nil, responseBody: String? = nil
    ) {
        self.id = id
        self.requestID = requestID
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.keyID = keyID
        self.team = team
        self.route = route
        self.surface = surface
        self.model = model
        self.provider = provider
        self.upstreamModel = upstreamModel
        self.attempt = attempt
        self.status = status
        self.errorClass = errorClass
        self.errorMessage = errorMessage
        self.httpStatus = httpStatus
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.costUSD = costUSD
        self.latencyMS = latencyMS
        self.timeToFirstTokenMS = timeToFirstTokenMS
        self.tags = tags
        self.requestBody = requestBody
        self.responseBody = responseBody
    }
}

/// Filters for listing traces; every field is optional.
public struct TraceQuery: Sendable, Hashable {
    public var from: Date?
    public var to: Date?
    public var model: String?
    public var keyID: String?
    public var status: TraceStatus?
    /// `name=value`: traces whose tags include it.
    public var tag: (name: String, value: String)?
    public var requestID: String?
    /// From a previous page's ``TracePage/nextCursor``.
    public var cursor: String?
    public var limit: Int

    public init(
        from: Date? = nil, to: Date? = nil, model: String? = nil, keyID: String? = nil, status: TraceStatus? = nil,
        tag: (name: String, value: String)? = nil, requestID: String? = nil, cursor: String? = nil, limit: Int = 50
    ) {
        self.from = from
        self.to = to
        self.model = model
        self.keyID = keyID
        self.status = status
        self.tag = tag
        self.requestID = requestID
        self.cursor = cursor
        self.limit = min(max(1, limit), 500)
    }

    public static func == (lhs: TraceQuery, rhs: TraceQuery) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.model == rhs.model && lhs.keyID == rhs.keyID && lhs.status == rhs.status
            && lhs.tag?.name == rhs.tag?.name && lhs.tag?.value == rhs.tag?.value && lhs.requestID == rhs.requestID
            && lhs.cursor == rhs.cursor && lhs.limit == rhs.limit
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(model)
        hasher.combine(cursor)
    }
}

/// One page of traces, newest first.
public struct TracePage: Sendable, Hashable, Codable {
    public var traces: [TraceRecord]
    /// Pass as ``TraceQuery/cursor`` for the next page; `nil` on the last page.
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case traces
        case nextCursor = "next_cursor"
    }

    public init(traces: [TraceRecord], nextCursor: String?) {
        self.traces = traces
        self.nextCursor = nextCursor
    }
}

/// Tokens and cost summed by model, key and day (UTC).
public struct UsageRow: Sendable, Hashable, Codable {
    public var day: String
    public var model: String
    public var keyID: String?
    public var requests: Int
    public var attempts: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int
    public var costUSD: Double

    enum CodingKeys: String, CodingKey {
        case day, model, requests, attempts
        case keyID = "key_id"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case cacheReadTokens = "cache_read_tokens"
        case cacheWriteTokens = "cache_write_tokens"
        case costUSD = "cost_usd"
    }

    public init(day: String, model: String, keyID: String?, requests: Int, attempts: Int, inputTokens: Int, outputTokens: Int,
                cacheReadTokens: Int, cacheWriteTokens: Int, costUSD: Double) {
        self.day = day; self.model = model; self.keyID = keyID; self.requests = requests; self.attempts = attempts
        self.inputTokens = inputTokens; self.outputTokens = outputTokens; self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens; self.costUSD = costUSD
    }
}

/// Where traces are kept. Implementations: `SQLiteStore` (CentaurSQLite) and `InMemoryStore` (CentaurTestSupport).
public protocol TraceStore: Sendable {
    func insert(_ records: [TraceRecord]) async throws
    func traces(_ query: TraceQuery) async throws -> TracePage
    func trace(id: String) async throws -> TraceRecord?
    func usage(from: Date?, to: Date?) async throws -> [UsageRow]
    /// Cost per key and team since a date (budgets start from it).
    func spend(since: Date) async throws -> [SpendRow]
    /// How many distinct requests have traces.
    func requestCount() async throws -> Int
    /// Deletes the traces of calls started before `date` (retention); returns how many went.
    func purgeTraces(startedBefore date: Date) async throws -> Int
}

/// The cursor of a trace page: the last record's start time and id.
public enum TraceCursor {
    public static func encode(_ record: TraceRecord) -> String {
        Data("\(record.startedAt.timeIntervalSince1970)|\(record.id)".utf8).base64EncodedString()
    }

    public static func decode(_ cursor: String) throws -> (Date, String) {
        guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8),
            let bar = text.firstIndex(of: "|"), let seconds = Double(text[..<bar])
        else { throw StoreError("invalid cursor '\(cursor)'; pass the next_cursor of a previous page") }
        return (Date(timeIntervalSince1970: seconds), String(text[text.index(after: bar)...]))
    }
}

/// A store failure with a sentence that says what went wrong.
public struct StoreError: Error, Sendable, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

/// What one key (in one team) has spent.
public struct SpendRow: Sendable, Hashable {
    public var keyID: String?
    public var team: String?
    public var costUSD: Double

    public init(keyID: String?, team: String?, costUSD: Double) {
        self.keyID = keyID; self.team = team; self.costUSD = costUSD
    }
}
