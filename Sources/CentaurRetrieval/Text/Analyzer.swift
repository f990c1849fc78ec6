/// Turns text into index terms: lower-cased runs of two or more word characters (letters, digits, `_`), the 33
/// Lucene English stop words dropped, each word stemmed (``EnglishStemmer``). Queries and documents go through the
/// same analyzer, so "Running" in a question finds "runs" in a document.
///
/// The word rule is the one of the common Python BM25 tooling (`(?u)\b\w\w+\b`), so our figures compare with theirs
/// on equal tokens.
public struct Analyzer: Sendable {
    public var stopwords: Set<String>
    public var stemmer: EnglishStemmer?

    public init(stopwords: Set<String>, stemmer: EnglishStemmer?) {
        self.stopwords = stopwords
        self.stemmer = stemmer
    }

    /// English: Lucene's stop words and the Snowball English stemmer.
    public static let english = Analyzer(stopwords: luceneEnglishStopwords, stemmer: EnglishStemmer())

    /// Lucene's `EnglishAnalyzer` stop words.
    public static let luceneEnglishStopwords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of", "on",
        "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
    ]

    /// The words of `text`, lower-cased, before stop words and stemming.
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        forEachWord(text) { words.append($0) }
        return words
    }

    /// Calls `body` with each word of `text`, lower-cased, in order. Works on the UTF-8 bytes: ASCII (most text) a
    /// byte at a time, anything else a scalar at a time by its Unicode properties (letters and numbers are word
    /// characters, lower-cased by their full mapping).
    public static func forEachWord(_ text: String, _ body: (String) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            var word: [UInt8] = []
            word.reserveCapacity(32)
            var length = 0
            func flush() {
                if length >= 2 { body(String(decoding: word, as: UTF8.self)) }
                word.removeAll(keepingCapacity: true)
                length = 0
            }
            var i = 0
            let n = bytes.count
            while i < n {
                let byte = bytes[i]
                if byte < 128 {
                    if byte >= 65 && byte <= 90 {
                        word.append(byte + 32); length += 1
                    } else if (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 95 {
                        word.append(byte); length += 1
                    } else {
                        flush()
                    }
                    i += 1
                    continue
                }
                // A multi-byte scalar (the string is valid UTF-8).
                let count = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                var value = UInt32(byte) & (count == 2 ? 0x1F : count == 3 ? 0x0F : 0x07)
                for k in 1..<count where i + k < n { value = value << 6 | UInt32(bytes[i + k] & 0x3F) }
                i += count
                guard let scalar = Unicode.Scalar(value) else { flush(); continue }
                if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                    for unit in scalar.properties.lowercaseMapping.utf8 { word.append(unit) }
                    length += 1
                } else {
                    flush()
                }
            }
            flush()
        }
    }

    /// The stem of one word (itself when there is no stemmer).
    public func stem(_ word: String) -> String { stemmer?.stem(word) ?? word }

    /// The terms of `text`. `cache` keeps stems between calls (indexing a corpus stems each distinct word once).
    public func terms(_ text: String, cache: inout [String: String]) -> [String] {
        var terms: [String] = []
        for word in Self.words(text) where !stopwords.contains(word) {
            guard let stemmer else { terms.append(word); continue }
            if let stem = cache[word] {
                terms.append(stem)
            } else {
                let stem = stemmer.stem(word)
                cache[word] = stem
                terms.append(stem)
            }
        }
        return terms
    }

    /// The terms of `text`.
    public func terms(_ text: String) -> [String] {
        var cache: [String: String] = [:]
        return terms(text, cache: &cache)
    }
}
