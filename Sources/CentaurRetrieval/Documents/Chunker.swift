import Foundation

/// Splits a document into chunks for retrieval, along its structure: PDF pages (form feeds, as `pdftotext` writes
/// them), Markdown headings and paragraphs first; a paragraph over the budget by sentences; a sentence over it by
/// words. Chunks hold at most `maximumTokens` tokens (by `count`, whitespace-separated words unless told otherwise —
/// pass a WordPiece count for an embedding model's real limit) and begin with up to `overlap` tokens of the previous
/// chunk's end, so a passage cut in two is still whole in one of them. Each chunk knows its page and its heading.
public struct Chunker: Sendable {
    public struct Chunk: Sendable, Hashable {
        /// 1, 2, … in document order.
        public var number: Int
        public var text: String
        /// The page (1-based) the chunk starts on, when the text has form feeds.
        public var page: Int?
        /// The nearest Markdown heading above the chunk.
        public var heading: String?
    }

    public var maximumTokens: Int
    public var overlap: Int
    public var count: @Sendable (String) -> Int

    public init(maximumTokens: Int = 256, overlap: Int = 32, count: @escaping @Sendable (String) -> Int = Chunker.words) {
        self.maximumTokens = max(8, maximumTokens)
        self.overlap = max(0, min(overlap, maximumTokens / 2))
        self.count = count
    }

    /// Whitespace-separated words.
    public static let words: @Sendable (String) -> Int = { text in text.split(whereSeparator: \.isWhitespace).count }

    /// A block of text that is kept together when it fits: a paragraph, or a heading line.
    struct Block {
        var text: String
        var page: Int?
        var heading: String?
        var isHeading: Bool
    }

    public func chunks(_ text: String) -> [Chunk] {
        let pages = text.split(separator: "\u{0C}", omittingEmptySubsequences: false)
        let paged = pages.count > 1
        var blocks: [Block] = []
        var heading: String?
        for (index, page) in pages.enumerated() {
            var paragraph: [Substring] = []
            func flush() {
                let joined = paragraph.joined(separator: " ").trimmingCharacters(in: .whitespaces)
                if !joined.isEmpty { blocks.append(Block(text: joined, page: paged ? index + 1 : nil, heading: heading, isHeading: false)) }
                paragraph = []
            }
            for line in page.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty {
                    flush()
                } else if let title = Self.heading(trimmed) {
                    flush()
                    heading = title
                    blocks.append(Block(text: title, page: paged ? index + 1 : nil, heading: title, isHeading: true))
                } else {
                    paragraph.append(line)
                }
            }
            flush()
        }
        // Pieces that each fit the budget less the overlap: a block, or its sentences, or runs of its words.
        let room = maximumTokens - overlap
        var pieces: [Block] = []
        for block in blocks {
            if count(block.text) <= room { pieces.append(block); continue }
            for sentence in Self.sentences(block.text) {
                if count(sentence) <= room {
                    pieces.append(Block(text: sentence, page: block.page, heading: block.heading, isHeading: false))
                } else {
                    let words = sentence.split(whereSeparator: \.isWhitespace)
                    var run: [Substring] = []
                    for word in words {
                        run.append(word)
                        if count(run.joined(separator: " ")) >= room {
                            pieces.append(Block(text: run.joined(separator: " "), page: block.page, heading: block.heading, isHeading: false))
                            run = []
                        }
                    }
                    if !run.isEmpty { pieces.append(Block(text: run.joined(separator: " "), page: block.page, heading: block.heading, isHeading: false)) }
                }
            }
        }
        // Pack pieces into chunks, starting each with the previous chunk's last `overlap` tokens' worth of words.
        var chunks: [Chunk] = []
        var current: [Block] = []
        var carried = ""
        func emit() {
            // Headings at the end belong to the text after them: they start the next chunk.
            var trailing: [Block] = []
            while let last = current.last, last.isHeading, current.count > 1 { trailing.insert(current.removeLast(), at: 0) }
            guard !current.isEmpty else { return }
            let body = current.map(\.text).joined(separator: "\n\n")
            // The overlap gives way when a heading moved in front of a piece leaves it no room.
            var lead = carried.split(whereSeparator: \.isWhitespace)
            while !lead.isEmpty, count(lead.joined(separator: " ") + " " + body) > maximumTokens { lead.removeFirst() }
            let text = lead.isEmpty ? body : lead.joined(separator: " ") + " … " + body
            chunks.append(Chunk(number: chunks.count + 1, text: text, page: current.first?.page, heading: current.last?.heading))
            carried = overlap > 0 ? tail(of: body) : ""
            current = trailing
        }
        for piece in pieces {
            let candidate = (current.map(\.text) + [piece.text]).joined(separator: "\n\n")
            let budget = maximumTokens - (carried.isEmpty ? 0 : count(carried))
            // A heading stays with the text under it: a chunk is never only headings.
            if current.contains(where: { !$0.isHeading }), count(candidate) > budget { emit() }
            current.append(piece)
        }
        emit()
        return chunks
    }

    /// A Markdown ATX heading's title: one to six `#`, a space, the title (`#hashtag` is not a heading).
    static func heading(_ line: String) -> String? {
        let hashes = line.prefix(while: { $0 == "#" }).count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        let title = line.dropFirst(hashes).trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "#"))
            .trimmingCharacters(in: .whitespaces)
        return title.isEmpty ? nil : title
    }

    /// The last words of `text` that fit in `overlap` tokens.
    func tail(of text: String) -> String {
        let words = text.split(whereSeparator: \.isWhitespace)
        var taken: [Substring] = []
        for word in words.reversed() {
            let next = [word] + taken
            if count(next.joined(separator: " ")) > overlap { break }
            taken = next
        }
        return taken.joined(separator: " ")
    }

    /// Sentences: text up to `.`, `!` or `?` followed by whitespace.
    static func sentences(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        var previousEnds = false
        for character in text {
            if previousEnds && character.isWhitespace {
                let sentence = current.trimmingCharacters(in: .whitespaces)
                if !sentence.isEmpty { sentences.append(sentence) }
                current = ""
                previousEnds = false
                continue
            }
            current.append(character)
            previousEnds = character == "." || character == "!" || character == "?"
        }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty { sentences.append(last) }
        return sentences
    }
}
