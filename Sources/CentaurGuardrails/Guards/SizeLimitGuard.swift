/// Bounds the request's and the answer's text, in characters. The answer's length is counted piece by piece, so
/// a stream stops as soon as it crosses the limit.
public struct SizeLimitGuard: Guardrail {
    public var maxInputCharacters: Int?
    public var maxOutputCharacters: Int?

    public init(maxInputCharacters: Int?, maxOutputCharacters: Int?) {
        self.maxInputCharacters = maxInputCharacters
        self.maxOutputCharacters = maxOutputCharacters
    }

    public func inspect(_ input: GuardInput) -> GuardVerdict {
        // The byte count is a cheap bound: only text with more bytes than the limit can have more characters.
        if let limit = maxInputCharacters, input.text.utf8.count > limit, input.text.count > limit {
            return .block("the request's text is \(input.text.count) characters; the limit is \(limit)")
        }
        return .pass
    }

    public func outputInspector(for input: GuardInput) -> (any OutputInspector)? {
        maxOutputCharacters.map { Counter(limit: $0) }
    }

    struct Counter: OutputInspector {
        let limit: Int
        var characters = 0

        mutating func inspect(_ piece: String) -> GuardVerdict {
            characters += piece.count
            return characters > limit ? .block("the answer is longer than \(limit) characters") : .pass
        }
    }
}
