import CentaurCore
import CentaurGuardrails
import Foundation

/// `guardrails:` in centaur.yaml.
public struct GuardrailSettings: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        /// Do nothing.
        case off
        /// Record it in the trace (`guard_*` tags) and go on.
        case flag
        /// Refuse with a guardrail error in the API's own shape.
        case block
    }

    /// Terms (case-insensitive) that may appear in neither the request nor the answer.
    public var deny: [String] = []
    /// Largest request text in characters (system + messages); nil: no limit. By default one million characters
    /// (about 250,000 tokens, more than any configured model reads): every scan is linear, but a bound keeps
    /// one request from holding a core for long (`guardrails.max_input_chars`).
    public var maxInputCharacters: Int? = GuardrailSettings.defaultMaxInputCharacters
    public static let defaultMaxInputCharacters = 1_000_000
    /// Largest answer text in characters; nil: no limit.
    public var maxOutputCharacters: Int?
    /// Personal data in an answer that the request did not contain.
    public var piiLeak: Action = .flag
    /// Prompt-injection heuristics on the request's user and document text.
    public var injection: Action = .flag
    /// Re-ask once, quoting the violations, when an answer does not match the requested JSON Schema.
    public var schemaRepair = true

    public init() {}
}

/// Input and output guards for every request: size limits and deny lists refuse; prompt-injection and
/// PII-leak checks flag (recorded as `guard_injection` / `guard_pii_leak` trace tags) or refuse, as configured;
/// an answer that breaks the requested JSON Schema is repaired once, then refused. A refusal is a
/// ``ModelError/Kind/guardrail`` error, which the server answers in the client's API shape.
public struct GuardrailMiddleware: GatewayMiddleware {
    public let settings: GuardrailSettings
    public let detector: PIIDetector
    let injection = PromptInjectionDetector()

    public init(settings: GuardrailSettings, detector: PIIDetector = PIIDetector()) {
        self.settings = settings
        self.detector = detector
    }

    static func refuse(_ message: String) -> ModelError { ModelError(kind: .guardrail, message: message) }

    static func inputText(_ request: ModelRequest) -> String {
        var parts: [String] = request.system.map { [$0] } ?? []
        func collect(_ blocks: [ContentBlock]) {
            for block in blocks {
                switch block {
                case .text(let text): parts.append(text)
                case .toolResult(let result): collect(result.content)
                case .toolUse(let use): parts.append(use.input.jsonString())
                default: break
                }
            }
        }
        for message in request.messages { collect(message.content) }
        return parts.joined(separator: "\n")
    }

    func checkInput(_ request: ModelRequest, context: GatewayContext) throws -> String {
        let text = Self.inputText(request)
        if let limit = settings.maxInputCharacters, text.utf8.count > limit, text.count > limit {
            throw Self.refuse("the request's text is \(text.count) characters; the limit is \(limit)")
        }
        if let term = deniedTerm(in: text) { throw Self.refuse("the request contains a denied term (\"\(term)\")") }
        if settings.injection != .off {
            // User turns and tool results (documents) are checked; the system prompt is the caller's own.
            let untrusted = request.messages.filter { $0.role == .user }.map { Self.inputText(ModelRequest(model: "", messages: [$0])) }.joined(separator: "\n")
            let signals = injection.signals(in: untrusted)
            if !signals.isEmpty {
                context.facts.injectionSignals(signals.map(\.rule))
                if settings.injection == .block {
                    throw Self.refuse("the request looks like a prompt injection (\(signals[0].rule): \"\(signals[0].text)\")")
                }
            }
        }
        return text
    }

    func deniedTerm(in text: String) -> String? {
        guard !settings.deny.isEmpty else { return nil }
        let lower = text.lowercased()
        return settings.deny.first { lower.contains($0.lowercased()) }
    }

    func checkOutput(_ text: String, input: String, context: GatewayContext) throws {
        if let limit = settings.maxOutputCharacters, text.count > limit {
            throw Self.refuse("the answer is longer than \(limit) characters")
        }
        if let term = deniedTerm(in: text) { throw Self.refuse("the answer contains a denied term (\"\(term)\")") }
        if settings.piiLeak != .off {
            let leaked = detector.findings(in: text, notIn: input)
            if !leaked.isEmpty {
                var counts = RedactionCounts()
                counts.add(leaked)
                context.facts.piiLeak(counts.summary)
                if settings.piiLeak == .block { throw Self.refuse("the answer contains personal data the request did not (\(counts.summary))") }
            }
        }
    }

    /// ``checkInput(_:context:)`` off the cooperative threads when the request is large.
    func checkedInput(_ request: ModelRequest, context: GatewayContext) async throws -> String {
        try await CPUWork.run(size: request.approximateTextSize) { try checkInput(request, context: context) }
    }

    /// ``checkOutput(_:input:context:)`` off the cooperative threads when the answer or the request is large.
    func checkedOutput(_ text: String, input: String, context: GatewayContext) async throws {
        try await CPUWork.run(size: text.utf8.count + (settings.piiLeak == .off ? 0 : input.utf8.count)) {
            try checkOutput(text, input: input, context: context)
        }
    }

    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        let input = try await checkedInput(request, context: context)
        var response = try await next(request, context)
        if settings.schemaRepair, context.schemaRepair, let schemaValue = request.responseFormat.schema {
            let schema = JSONSchema(schemaValue)
            var violations = Self.violations(of: response, schema: schema)
            if !violations.isEmpty {
                context.facts.schemaRepaired()
                var repair = request
                repair.messages.append(Message(role: .assistant, content: [.text(response.structuredText)]))
                repair.messages.append(.user("Your answer does not match the required JSON Schema:\n"
                    + violations.prefix(20).map { "- \($0)" }.joined(separator: "\n") + "\nReply with the corrected JSON only."))
                response = try await next(repair, context)
                violations = Self.violations(of: response, schema: schema)
                if !violations.isEmpty {
                    throw ModelError(kind: .guardrail, message: "the answer does not match the JSON Schema after one repair: \(violations.prefix(3).joined(separator: "; "))")
                }
            }
        }
        try await checkedOutput(response.text + response.toolUses.map { $0.input.jsonString() }.joined(), input: input, context: context)
        return response
    }

    static func violations(of response: ModelResponse, schema: JSONSchema) -> [String] {
        guard let value = try? response.structuredOutput() else { return ["the answer is not JSON"] }
        return schema.validate(value).map(\.description)
    }

    public func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream {
        let input = try await checkedInput(request, context: context)
        let upstream = try await next(request, context)
        // A denied term split across chunks is found in the last chunk plus the text just before it: each chunk is
        // checked once with a short overlap, never the whole answer again (which made long streams quadratic).
        let overlap = max(0, (settings.deny.map(\.count).max() ?? 0) - 1)
        return .producing { continuation in
            var text = ""
            var characters = 0
            for try await event in upstream {
                var chunk = ""
                switch event {
                case .textDelta(_, let delta): chunk = delta
                case .toolInputDelta(_, let delta): chunk = delta
                default: break
                }
                if !chunk.isEmpty {
                    let window = overlap > 0 ? String(text.suffix(overlap)) + chunk : ""
                    text += chunk
                    characters += chunk.count
                    // Limits and deny lists stop the stream as soon as they are crossed; the rest is checked at the end.
                    if let limit = settings.maxOutputCharacters, characters > limit { throw Self.refuse("the answer is longer than \(limit) characters") }
                    if let term = deniedTerm(in: window) { throw Self.refuse("the answer contains a denied term (\"\(term)\")") }
                }
                if case .finish = event { try await checkedOutput(text, input: input, context: context) }
                continuation.yield(event)
            }
        }
    }
}

extension ModelResponse {
    /// The text a structured answer was given in (a forced tool's input, else the text).
    var structuredText: String { toolUses.first.map { $0.input.jsonString() } ?? text }
}
