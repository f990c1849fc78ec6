import CentaurConfiguration
import CentaurCore
import CentaurGuardrails
import CentaurStore
import Foundation

/// Turns finished calls into trace records (one per attempt) and queues them on a ``TraceWriter``.
public struct TraceRecorder: CallRecorder {
    public let writer: TraceWriter
    public let capture: BodyCapture
    /// Applied to captured bodies before they are stored (for example a PII redactor).
    public let redact: @Sendable (String) -> String
    /// Whether a call waits for its trace to be stored (`traces.durable`, the default) or only queues it.
    public let durable: Bool

    /// By default captured bodies are stored with personal data replaced by its type (`<US_SSN>`): raw PII
    /// never reaches a trace.
    public init(writer: TraceWriter, capture: BodyCapture = .none, durable: Bool = true,
                redact: @escaping @Sendable (String) -> String = { Redactor(mode: .type).redact($0).text }) {
        self.writer = writer
        self.capture = capture
        self.durable = durable
        self.redact = redact
    }

    /// Durable: waits until an answered call's records are stored, and throws when they cannot be (the store is down,
    /// the queue is full), so that the answer is withheld rather than given untraced. A failed call's records are
    /// queued without waiting: there is no answer to hold back, and its error reaches the client at once.
    public func record(_ call: CompletedCall) async throws {
        let records = Self.records(for: call, capture: capture, redact: redact)
        guard durable, call.error == nil else {
            writer.enqueue(records)
            return
        }
        if await writer.persist(records) == .lost {
            throw ModelError(kind: .storeUnavailable,
                             message: "the answer could not be recorded (the trace store does not answer), so it is withheld rather than given untraced; try again shortly",
                             status: 503, retryAfter: .seconds(5))
        }
    }

    /// One record per attempt; a request that failed before any attempt (an unknown model) gets one record too.
    public static func records(for call: CompletedCall, capture: BodyCapture, redact: @Sendable (String) -> String) -> [TraceRecord] {
        let requestBody = capture == .full ? redact(Self.requestText(call.request)) : nil
        let responseBody = capture == .full ? call.response.map { redact(Self.responseText($0)) } : nil
        let tags = call.request.metadata.merging(call.tags) { _, context in context }
        guard !call.attempts.isEmpty else {
            return [TraceRecord(
                requestID: call.requestID, startedAt: call.startedAt, endedAt: call.endedAt, keyID: call.caller?.keyID, team: call.caller?.team,
                route: call.route, surface: call.surface.rawValue, model: call.route, provider: tags["cache"] == "hit" ? "cache" : "-", upstreamModel: "-", attempt: 1,
                status: call.error == nil ? .ok : .error, errorClass: call.error?.kind.description, errorMessage: call.error?.message,
                httpStatus: call.error?.status, tags: tags, requestBody: requestBody, responseBody: responseBody)]
        }
        let last = call.attempts.count - 1
        return call.attempts.enumerated().map { index, attempt in
            var errorClass: String?
            var errorMessage: String?
            if case .failure(let error) = attempt.outcome {
                errorClass = error.kind.description
                errorMessage = error.message
            }
            // A successful attempt whose stream the client then abandoned is still an error for the request.
            if index == last, attempt.succeeded, let error = call.error {
                errorClass = error.kind.description
                errorMessage = error.message
            }
            return TraceRecord(
                requestID: call.requestID, startedAt: attempt.startedAt, endedAt: attempt.endedAt, keyID: call.caller?.keyID,
                team: call.caller?.team, route: call.route, surface: call.surface.rawValue, model: attempt.model, provider: attempt.provider,
                upstreamModel: attempt.upstreamModel, attempt: attempt.number, status: errorClass == nil ? .ok : .error,
                errorClass: errorClass, errorMessage: errorMessage, httpStatus: attempt.status,
                inputTokens: attempt.usage.inputTokens, outputTokens: attempt.usage.outputTokens,
                cacheReadTokens: attempt.usage.cacheReadTokens, cacheWriteTokens: attempt.usage.cacheWriteTokens,
                costUSD: attempt.costUSD, latencyMS: attempt.latency.seconds * 1000,
                timeToFirstTokenMS: attempt.timeToFirstToken.map { $0.seconds * 1000 }, tags: tags,
                requestBody: index == last ? requestBody : nil, responseBody: index == last ? responseBody : nil)
        }
    }

    static func requestText(_ request: ModelRequest) -> String {
        var parts: [String] = []
        if let system = request.system { parts.append("system: \(system)") }
        for message in request.messages {
            let content = message.content.map { block -> String in
                switch block {
                case .text(let text): text
                case .image(let image): "[image \(image.mediaType), \(image.data.count) bytes]"
                case .document(let document): "[document \(document.mediaType), \(document.data.count) bytes]"
                case .toolUse(let call): "[tool call \(call.name) \(call.input.jsonString())]"
                case .toolResult(let result): "[tool result \(result.toolUseID): \(result.content.compactMap(\.text).joined())]"
                }
            }.joined(separator: " ")
            parts.append("\(message.role.rawValue): \(content)")
        }
        return parts.joined(separator: "\n")
    }

    static func responseText(_ response: ModelResponse) -> String {
        var text = response.text
        for call in response.toolUses { text += "\n[tool call \(call.name) \(call.input.jsonString())]" }
        return text
    }
}
