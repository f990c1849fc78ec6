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
        var current = String.UnicodeScalarView()
        var length = 0
        func flush() {
            if length >= 2 { words.append(String(current)) }
            current.removeAll(keepingCapacity: true)
            length = 0
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 128 {
                if v >= 65 && v <= 90 {
                    current.append(Unicode.Scalar(v + 32)!)
                    length += 1
                } else if (v >= 97 && v <= 122) || (v >= 48 && v <= 57) || v == 95 {
                    current.append(scalar)
                    length += 1
                } else {
                    flush()
                }
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                length += 1
            } else {
                flush()
            }
        }
        flush()
        return words
    }

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
