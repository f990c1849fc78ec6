import Foundation

/// A text as Unicode scalars (offsets match Python `str` indices) with its word tokens.
struct ScannedText {
    struct Token {
        enum Kind { case word, number, alphanumeric, punctuation }
        var kind: Kind
        var start: Int
        var end: Int
        var text: String
        /// Lower-cased text, for list and context lookups.
        var lower: String
        /// Starts with an upper-case letter.
        var capitalized: Bool
        /// Every letter is upper-case (and there are at least two).
        var allCaps: Bool
        /// A line break or sentence end comes right before it.
        var startsSentence: Bool
        /// 0-based line number.
        var line: Int = 0
    }

    let scalars: [Unicode.Scalar]
    var tokens: [Token] = []
    /// `lineStarts[n]` is the index of the first token on line n or after it; one entry more than there are lines.
    private(set) var lineStarts: [Int] = []

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
        tokenize()
        let lines = (tokens.last?.line ?? -1) + 1
        lineStarts.reserveCapacity(lines + 1)
        var index = 0
        for line in 0...lines {
            while index < tokens.count, tokens[index].line < line { index += 1 }
            lineStarts.append(index)
        }
    }

    func text(_ start: Int, _ end: Int) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(end - start)
        for scalar in scalars[start..<end] { UTF8.encode(scalar) { bytes.append($0) } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the text between two offsets holds a line break (without building a String).
    func gapHasNewline(_ start: Int, _ end: Int) -> Bool {
        start < end && scalars[start..<end].contains("\n")
    }

    /// Whether the text between two offsets is exactly one space.
    func gapIsOneSpace(_ start: Int, _ end: Int) -> Bool {
        end == start + 1 && scalars[start] == " "
    }

    /// Whether the text between two offsets is only spaces (or empty).
    func gapIsSpaces(_ start: Int, _ end: Int) -> Bool {
        start >= end || scalars[start..<end].allSatisfy { $0 == " " }
    }

    // ASCII first: Unicode property lookups are a table search each, and most text is ASCII.
    @inline(__always) static func isLetter(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x80 ? (s.value | 0x20) &- 0x61 < 26 : s.properties.isAlphabetic
    }
    @inline(__always) static func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 48 && s.value <= 57 }
    @inline(__always) static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x80 ? s.value == 0x20 || (s.value >= 0x09 && s.value <= 0x0D) : s.properties.isWhitespace
    }
    @inline(__always) static func isUppercase(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x80 ? s.value &- 0x41 < 26 : s.properties.isUppercase
    }
    @inline(__always) static func isNonspacingMark(_ s: Unicode.Scalar) -> Bool {
        s.value >= 0x300 && s.properties.generalCategory == .nonspacingMark
    }
    /// A punctuation mark after which the next word starts a sentence (or a quotation, list item or heading).
    @inline(__always) static func opensSentence(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case ".", "!", "?", ":", ">", "\"", "(", "[", "-", "*", "\u{201C}": return true
        default: return false
        }
    }

    private mutating func tokenize() {
        var i = 0
        var sentenceStart = true
        var line = 0
        let n = scalars.count
        while i < n {
            let s = scalars[i]
            if Self.isSpace(s) {
                if s == "\n" { sentenceStart = true; line += 1 }
                i += 1
                continue
            }
            if Self.isLetter(s) || Self.isDigit(s) {
                var j = i
                var letters = false, digits = false
                while j < n {
                    let c = scalars[j]
                    if Self.isLetter(c) || Self.isNonspacingMark(c) { letters = true; j += 1; continue }
                    if Self.isDigit(c) { digits = true; j += 1; continue }
                    // An apostrophe or hyphen inside a word (O'Neil, Jean-Luc) belongs to it.
                    if (c == "'" || c == "\u{2019}" || c == "-"), j + 1 < n, Self.isLetter(scalars[j + 1]), letters, !digits { j += 1; continue }
                    break
                }
                let text = self.text(i, j)
                let kind: Token.Kind = letters && digits ? .alphanumeric : (digits ? .number : .word)
                let first = scalars[i]
                var cased = 0
                var allUpper = true
                for k in i..<j where Self.isLetter(scalars[k]) {
                    cased += 1
                    if !Self.isUppercase(scalars[k]) { allUpper = false; break }
                }
                let allCaps = allUpper && cased >= 2
                tokens.append(Token(kind: kind, start: i, end: j, text: text, lower: text.lowercased(),
                                    capitalized: Self.isUppercase(first), allCaps: allCaps, startsSentence: sentenceStart, line: line))
                sentenceStart = false
                i = j
                continue
            }
            tokens.append(Token(kind: .punctuation, start: i, end: i + 1, text: String(s), lower: String(s), capitalized: false,
                                allCaps: false, startsSentence: sentenceStart, line: line))
            sentenceStart = Self.opensSentence(s) || (sentenceStart && s == "'")
            i += 1
        }
    }

    /// The index of the last token that ends at or before `offset`, or nil. A binary search: tokens are in text
    /// order and never overlap, so every lookup stays logarithmic and a scan over the text stays linear.
    func lastToken(endingBy offset: Int) -> Int? {
        var low = 0, high = tokens.count
        while low < high {
            let middle = (low + high) / 2
            if tokens[middle].end <= offset { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low - 1
    }

    /// The index of the first token that starts at or after `offset`, or nil.
    func firstToken(startingFrom offset: Int) -> Int? {
        var low = 0, high = tokens.count
        while low < high {
            let middle = (low + high) / 2
            if tokens[middle].start < offset { low = middle + 1 } else { high = middle }
        }
        return low == tokens.count ? nil : low
    }

    /// The indices of the tokens on a 0-based line (empty past the last line).
    func tokens(onLine line: Int) -> Range<Int> {
        guard line >= 0, line + 1 < lineStarts.count else { return tokens.count..<tokens.count }
        return lineStarts[line]..<lineStarts[line + 1]
    }

    /// The lower-cased words within `window` tokens before `index` (and after, when `after` is set).
    func context(around start: Int, _ end: Int, window: Int = 6, after: Bool = true) -> [String] {
        var words: [String] = []
        if let before = lastToken(endingBy: start) {
            for t in tokens[max(0, before - window + 1)...before] where t.kind != .punctuation { words.append(t.lower) }
        }
        if after, let next = firstToken(startingFrom: end) {
            for t in tokens[next..<min(tokens.count, next + window)] where t.kind != .punctuation { words.append(t.lower) }
        }
        return words
    }
}
