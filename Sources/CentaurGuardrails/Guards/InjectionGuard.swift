/// Prompt-injection heuristics (``PromptInjectionDetector``) on the request's user turns, documents and tool
/// results; the system prompt is the caller's own and is not checked. Flags or refuses, as configured.
public struct InjectionGuard: Guardrail {
    public let action: GuardAction
    let detector = PromptInjectionDetector()

    public init(action: GuardAction) {
        self.action = action
    }

    public func inspect(_ input: GuardInput) -> GuardVerdict {
        guard action != .off else { return .pass }
        let signals = detector.signals(in: input.untrustedText)
        guard let first = signals.first else { return .pass }
        if action == .block { return .block("the request looks like a prompt injection (\(first.rule): \"\(first.text)\")") }
        return .flag(.injection(rules: signals.map(\.rule)))
    }
}
