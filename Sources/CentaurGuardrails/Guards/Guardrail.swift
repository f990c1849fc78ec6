import CentaurCore

/// One check on what goes to a model and what comes back. Each guard is a type of its own (``SizeLimitGuard``,
/// ``DenyListGuard``, ``InjectionGuard``, ``PIILeakGuard``); the gateway's `GuardrailMiddleware` runs the
/// configured list (``GuardrailSettings/guards(detector:)``) in order and stops at the first block.
///
/// To add one: a type conforming to this protocol in `Sources/CentaurGuardrails/Guards/`, a setting for it in
/// ``GuardrailSettings`` (read by `ConfigurationLoader`), and a place in ``GuardrailSettings/guards(detector:)``.
public protocol Guardrail: Sendable {
    /// Checks a request before any model sees it.
    func inspect(_ input: GuardInput) -> GuardVerdict
    /// A fresh inspector for one answer to `input`, or nil when the guard does not look at answers.
    func outputInspector(for input: GuardInput) -> (any OutputInspector)?
}

extension Guardrail {
    public func inspect(_ input: GuardInput) -> GuardVerdict { .pass }
    public func outputInspector(for input: GuardInput) -> (any OutputInspector)? { nil }
}

/// Reads one answer incrementally: each piece of text once, in order, so a streamed answer costs time linear in
/// its length however it is chunked.
public protocol OutputInspector: Sendable {
    /// The next piece of the answer (text or tool-call arguments). A block stops the answer before this piece
    /// reaches the client.
    mutating func inspect(_ piece: String) -> GuardVerdict
    /// After the last piece: checks that need the whole answer.
    func finish() -> GuardVerdict
}

extension OutputInspector {
    public func finish() -> GuardVerdict { .pass }
}

/// What a guard reads of a request: the request, and all its text worked out once for every guard.
public struct GuardInput: Sendable {
    public let request: ModelRequest
    /// The system prompt, message text, tool results and tool-call arguments, one per line.
    public let text: String

    public init(_ request: ModelRequest) {
        self.request = request
        self.text = Self.text(of: request)
    }

    /// The text of the user turns alone (with the documents and tool results in them): what a caller did not write.
    public var untrustedText: String {
        request.messages.filter { $0.role == .user }.map { Self.text(of: ModelRequest(model: "", messages: [$0])) }.joined(separator: "\n")
    }

    public static func text(of request: ModelRequest) -> String {
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
}

/// A guard's answer.
public enum GuardVerdict: Sendable, Hashable {
    case pass
    /// Recorded on the call (a `guard_*` trace tag) and let through.
    case flag(GuardFinding)
    /// Refused with a guardrail error that says why.
    case block(String)
}

/// What a flag records.
public enum GuardFinding: Sendable, Hashable {
    /// The request's user text matched these prompt-injection heuristics.
    case injection(rules: [String])
    /// The answer holds personal data the request did not (`PERSON:1,PHONE_NUMBER:1`).
    case piiLeak(summary: String)
}

/// What a guard that may flag or refuse does, per `guardrails:` setting.
public enum GuardAction: String, Sendable, Hashable {
    /// Do nothing.
    case off
    /// Record it in the trace (`guard_*` tags) and go on.
    case flag
    /// Refuse with a guardrail error in the API's own shape.
    case block
}
