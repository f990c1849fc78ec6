import Foundation

/// BERT's uncased tokenizer: the "basic" pass (clean control characters, space out CJK ideographs, lower-case, strip
/// accents, split on whitespace and punctuation) and then WordPiece (greedy longest match from the vocabulary, `##` for
/// a word's continuations, `[UNK]` for a word it cannot spell or one over 100 characters). Output ids are framed by
/// `[CLS]` … `[SEP]` and cut to `maximumLength` (the model's 256 for all-MiniLM-L6-v2).
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String: Int32]
    public let unknown: Int32
    public let start: Int32
    public let end: Int32
    public var maximumLength: Int

    /// Reads a `vocab.txt`: one token per line, its id the line number from 0.
    public init(vocabularyFile url: URL, maximumLength: Int = 256) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw RetrievalError.unavailable("cannot read the WordPiece vocabulary \(url.path)")
        }
        var vocabulary: [String: Int32] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            vocabulary[String(line.hasSuffix("\r") ? line.dropLast() : line)] = Int32(index)
        }
        try self.init(vocabulary: vocabulary, maximumLength: maximumLength)
    }

    public init(vocabulary: [String: Int32], maximumLength: Int = 256) throws {
        guard let unknown = vocabulary["[UNK]"], let start = vocabulary["[CLS]"], let end = vocabulary["[SEP]"] else {
            throw RetrievalError.badInput("a WordPiece vocabulary needs [UNK], [CLS] and [SEP]")
        }
        self.vocabulary = vocabulary
        self.unknown = unknown
        self.start = start
        self.end = end
        self.maximumLength = max(2, maximumLength)
    }

    /// The ids the model reads for `text`.
    public func ids(_ text: String) -> [Int32] {
        var ids: [Int32] = [start]
        for word in Self.basicTokens(text) {
            for piece in wordPieces(word) {
                if ids.count == maximumLength - 1 { break }
                ids.append(piece)
            }
            if ids.count == maximumLength - 1 { break }
        }
        ids.append(end)
        return ids
    }

    /// The tokens of the basic pass.
    public static func basicTokens(_ text: String) -> [String] {
        var spaced = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0 || value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                spaced.append(" ")
            } else if isCJK(value) {
                spaced.append(" "); spaced.append(scalar); spaced.append(" ")
            } else {
                spaced.append(scalar)
            }
        }
        var tokens: [String] = []
        for chunk in String(spaced).split(separator: " ", omittingEmptySubsequences: true) {
            // Lower-case, then strip accents: decompose and drop the combining marks.
            let folded = String(chunk).lowercased().decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { $0.properties.generalCategory != .nonspacingMark }
            var current = String.UnicodeScalarView()
            for scalar in folded {
                if isPunctuation(scalar) {
                    if !current.isEmpty { tokens.append(String(current)); current.removeAll() }
                    tokens.append(String(scalar))
                } else {
                    current.append(scalar)
                }
            }
            if !current.isEmpty { tokens.append(String(current)) }
        }
        return tokens
    }

    /// WordPiece ids of one basic token.
    func wordPieces(_ word: String) -> [Int32] {
        let scalars = Array(word.unicodeScalars)
        guard scalars.count <= 100 else { return [unknown] }
        var pieces: [Int32] = []
        var begin = 0
        while begin < scalars.count {
            var finish = scalars.count
            var found: Int32?
            while begin < finish {
                var candidate = String(String.UnicodeScalarView(scalars[begin..<finish]))
                if begin > 0 { candidate = "##" + candidate }
                if let id = vocabulary[candidate] { found = id; break }
                finish -= 1
            }
            guard let id = found else { return [unknown] }
            pieces.append(id)
            begin = finish
        }
        return pieces
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.generalCategory == .spaceSeparator
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        let category = scalar.properties.generalCategory
        return category == .control || category == .format
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation,
             .otherPunctuation: return true
        default: return false
        }
    }

    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v) || (0x2A700...0x2B73F).contains(v)
            || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v) || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
