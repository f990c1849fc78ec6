/// Terms (case-insensitive) that may appear in neither the request nor the answer. In an answer each piece is
/// searched once together with the few characters before it, so a term split across stream chunks is found in the
/// chunk that completes it, which never reaches the client.
public struct DenyListGuard: Guardrail {
    public let terms: [String]
    private let lowered: [String]

    public init(terms: [String]) {
        self.terms = terms
        self.lowered = terms.map { $0.lowercased() }
    }

    func deniedTerm(in text: String) -> String? {
        let lower = text.lowercased()
        return lowered.firstIndex { lower.contains($0) }.map { terms[$0] }
    }

    public func inspect(_ input: GuardInput) -> GuardVerdict {
        deniedTerm(in: input.text).map { .block("the request contains a denied term (\"\($0)\")") } ?? .pass
    }

    public func outputInspector(for input: GuardInput) -> (any OutputInspector)? {
        Scanner(guard: self, overlap: max(0, (terms.map(\.count).max() ?? 0) - 1))
    }

    struct Scanner: OutputInspector {
        let `guard`: DenyListGuard
        /// The characters a term could still continue from: one fewer than the longest term.
        let overlap: Int
        var tail = ""

        mutating func inspect(_ piece: String) -> GuardVerdict {
            let window = tail + piece
            tail = String(window.suffix(overlap))
            return `guard`.deniedTerm(in: window).map { .block("the answer contains a denied term (\"\($0)\")") } ?? .pass
        }
    }
}
