/// `guardrails:` in centaur.yaml.
public struct GuardrailSettings: Sendable, Hashable {
    public typealias Action = GuardAction

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
    /// Re-ask once, quoting the violations, when an answer does not match the requested JSON Schema
    /// (the gateway's `SchemaRepairMiddleware`; answers that are not streamed only).
    public var schemaRepair = true

    public init() {}

    /// The guards these settings ask for, in the order they run: the cheap refusals first.
    public func guards(detector: PIIDetector = PIIDetector()) -> [any Guardrail] {
        var guards: [any Guardrail] = []
        if maxInputCharacters != nil || maxOutputCharacters != nil {
            guards.append(SizeLimitGuard(maxInputCharacters: maxInputCharacters, maxOutputCharacters: maxOutputCharacters))
        }
        if !deny.isEmpty { guards.append(DenyListGuard(terms: deny)) }
        if injection != .off { guards.append(InjectionGuard(action: injection)) }
        if piiLeak != .off { guards.append(PIILeakGuard(action: piiLeak, detector: detector)) }
        return guards
    }
}
