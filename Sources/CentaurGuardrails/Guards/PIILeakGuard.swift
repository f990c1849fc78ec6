/// Personal data in an answer that the request did not contain (a model inventing or recalling someone's details).
/// It needs the whole answer, so it gathers the pieces and looks once, at the end; flags or refuses, as configured.
public struct PIILeakGuard: Guardrail {
    public let action: GuardAction
    public let detector: PIIDetector

    public init(action: GuardAction, detector: PIIDetector) {
        self.action = action
        self.detector = detector
    }

    public func outputInspector(for input: GuardInput) -> (any OutputInspector)? {
        action == .off ? nil : Gatherer(guard: self, input: input.text)
    }

    struct Gatherer: OutputInspector {
        let `guard`: PIILeakGuard
        let input: String
        var answer = ""

        mutating func inspect(_ piece: String) -> GuardVerdict {
            answer += piece
            return .pass
        }

        func finish() -> GuardVerdict {
            let leaked = `guard`.detector.findings(in: answer, notIn: input)
            guard !leaked.isEmpty else { return .pass }
            var counts = RedactionCounts()
            counts.add(leaked)
            if `guard`.action == .block { return .block("the answer contains personal data the request did not (\(counts.summary))") }
            return .flag(.piiLeak(summary: counts.summary))
        }
    }
}
