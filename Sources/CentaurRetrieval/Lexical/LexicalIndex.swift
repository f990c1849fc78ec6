import Foundation

/// BM25 over an inverted index of our own, in memory: documents are added, replaced and removed one at a time
/// without a rebuild, and searched by term-at-a-time scoring into a score array, then a bounded heap for the top k.
///
/// Scoring is Lucene's BM25 (the variant the common Python tooling defaults to):
/// `idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))` and each query term adds `idf · tf / (tf + k1 · (1 − b + b · dl / avgdl))`,
/// where `dl` is a document's length in terms and a query term that appears twice counts twice.
///
/// Each document occupies a *slot*. Replacing or removing one retires its slot (its postings stay until compaction,
/// skipped by a flag); once retired slots outnumber a quarter of the live ones the postings are rebuilt from the
/// documents' own term lists, so a heavily updated index searches as fast as a fresh one.
public struct LexicalIndex: Sendable {
    public struct Parameters: Sendable, Hashable, Codable {
        public var k1: Double
        public var b: Double
        public init(k1: Double = 1.5, b: Double = 0.75) { self.k1 = k1; self.b = b }
    }

    /// A term's count in one document.
    public struct TermCount: Sendable, Hashable {
        public var term: Int32
        public var count: Int32
        public init(term: Int32, count: Int32) { self.term = term; self.count = count }
    }

    struct Posting: Sendable {
        var slot: Int32
        var count: Int32
    }

    public let analyzer: Analyzer
    public let parameters: Parameters
    /// Every term ever seen, by number (numbers are never reused, so stored term lists stay valid).
    public private(set) var terms: [String] = []
    private var termNumbers: [String: Int32] = [:]
    private var postings: [[Posting]] = []
    /// Live documents holding each term.
    private var documentFrequency: [Int32] = []
    /// Per slot: the document id, its length in terms, its term counts, and whether it is live.
    private(set) var ids: [String] = []
    private var lengths: [Int32] = []
    private var termCounts: [[TermCount]] = []
    private var live: [Bool] = []
    private var slots: [String: Int32] = [:]
    private var totalLength = 0
    /// Each word already seen and its term number, -1 for a stop word: indexing analyses each distinct word once.
    private(set) var wordTerms: [String: Int32] = [:]

    public init(analyzer: Analyzer = .english, parameters: Parameters = Parameters()) {
        self.analyzer = analyzer
        self.parameters = parameters
    }

    /// Live documents.
    public var count: Int { slots.count }
    /// Distinct terms seen.
    public var vocabularySize: Int { terms.count }
    /// Slots held by replaced or removed documents, until the next compaction.
    public var retiredSlots: Int { ids.count - slots.count }
    public var averageLength: Double { slots.isEmpty ? 0 : Double(totalLength) / Double(slots.count) }

    public func contains(_ id: String) -> Bool { slots[id] != nil }

    /// The term counts of `text`, numbering new terms.
    public mutating func analyze(_ text: String) -> [TermCount] {
        var found: [Int32] = []
        found.reserveCapacity(256)
        Analyzer.forEachWord(text) { word in
            let term: Int32
            if let known = wordTerms[word] {
                term = known
            } else {
                term = analyzer.stopwords.contains(word) ? -1 : number(analyzer.stem(word))
                wordTerms[word] = term
            }
            if term >= 0 { found.append(term) }
        }
        found.sort()
        var counts: [TermCount] = []
        var i = 0
        while i < found.count {
            var j = i + 1
            while j < found.count && found[j] == found[i] { j += 1 }
            counts.append(TermCount(term: found[i], count: Int32(j - i)))
            i = j
        }
        return counts
    }

    /// Remembers a word's analysis (a stored index's): term number `term` (in this index's numbering), or a stop word
    /// when negative.
    mutating func remember(word: String, term: Int32) { wordTerms[word] = term }

    /// The term numbers of a query's words (words unknown to the index are left out).
    func queryTerms(_ text: String) -> [Int32] {
        var terms: [Int32] = []
        Analyzer.forEachWord(text) { word in
            if let known = wordTerms[word] {
                if known >= 0 { terms.append(known) }
            } else if !analyzer.stopwords.contains(word), let number = termNumbers[analyzer.stem(word)] {
                terms.append(number)
            }
        }
        return terms
    }

    /// The number of `term`, numbering it when new.
    mutating func number(_ term: String) -> Int32 {
        if let number = termNumbers[term] { return number }
        let number = Int32(terms.count)
        terms.append(term)
        termNumbers[term] = number
        postings.append([])
        documentFrequency.append(0)
        return number
    }

    /// Adds a document, or replaces the one with the same id.
    public mutating func upsert(id: String, text: String) {
        let counts = analyze(text)
        upsert(id: id, counts: counts)
    }

    /// Adds a document from term counts already numbered by this index (``analyze(_:)``, or a stored index).
    public mutating func upsert(id: String, counts: [TermCount]) {
        if slots[id] != nil {
            retire(id)
            compactIfWorthIt()
        }
        let slot = Int32(ids.count)
        ids.append(id)
        var length: Int32 = 0
        for entry in counts {
            postings[Int(entry.term)].append(Posting(slot: slot, count: entry.count))
            documentFrequency[Int(entry.term)] += 1
            length += entry.count
        }
        lengths.append(length)
        termCounts.append(counts)
        live.append(true)
        slots[id] = slot
        totalLength += Int(length)
    }

    /// Removes a document; false when there was none with that id.
    @discardableResult
    public mutating func remove(id: String) -> Bool {
        guard slots[id] != nil else { return false }
        retire(id)
        compactIfWorthIt()
        return true
    }

    private mutating func retire(_ id: String) {
        guard let slot = slots.removeValue(forKey: id).map(Int.init) else { return }
        live[slot] = false
        totalLength -= Int(lengths[slot])
        for entry in termCounts[slot] { documentFrequency[Int(entry.term)] -= 1 }
        termCounts[slot] = []
    }

    /// Rebuilds the postings when retired slots outnumber a quarter of the live ones.
    public mutating func compactIfWorthIt() {
        guard retiredSlots > max(64, slots.count / 4) else { return }
        compact()
    }

    /// Drops retired slots: live documents are renumbered in their order and the postings rebuilt.
    public mutating func compact() {
        let order = (0..<ids.count).filter { live[$0] }
        var newIDs: [String] = [], newLengths: [Int32] = [], newCounts: [[TermCount]] = []
        newIDs.reserveCapacity(order.count); newLengths.reserveCapacity(order.count); newCounts.reserveCapacity(order.count)
        var newPostings = [[Posting]](repeating: [], count: terms.count)
        for (index, slot) in order.enumerated() {
            newIDs.append(ids[slot])
            newLengths.append(lengths[slot])
            newCounts.append(termCounts[slot])
            for entry in termCounts[slot] { newPostings[Int(entry.term)].append(Posting(slot: Int32(index), count: entry.count)) }
        }
        ids = newIDs
        lengths = newLengths
        termCounts = newCounts
        live = [Bool](repeating: true, count: ids.count)
        postings = newPostings
        slots = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($0.element, Int32($0.offset)) })
    }

    /// The stored documents' term counts, by id (for writing the index to disk).
    public func storedCounts(of id: String) -> [TermCount]? { slots[id].map { termCounts[Int($0)] } }

    /// The ids of the live documents, in slot order.
    public var documentIDs: [String] { (0..<ids.count).filter { live[$0] }.map { ids[$0] } }

    /// The `top` best-scoring documents for `query` that `allowed` accepts (all when nil), best first. Documents that
    /// share no term with the query are not returned.
    public func search(_ query: String, top: Int, allowed: ((String) -> Bool)? = nil) -> [(id: String, score: Double)] {
        guard top > 0, !slots.isEmpty else { return [] }
        let queryTerms = queryTerms(query).filter { documentFrequency[Int($0)] > 0 }
        guard !queryTerms.isEmpty else { return [] }
        let n = Double(slots.count)
        let k1 = Float(parameters.k1), b = Float(parameters.b)
        let inverseAverage = Float(1 / averageLength)
        var scores = [Float](repeating: 0, count: ids.count)
        var touched: [Int32] = []
        touched.reserveCapacity(min(ids.count, 4_096))
        scores.withUnsafeMutableBufferPointer { scores in
            lengths.withUnsafeBufferPointer { lengths in
                live.withUnsafeBufferPointer { live in
                    for term in queryTerms {
                        let df = Double(documentFrequency[Int(term)])
                        let idf = Float(log(1 + (n - df + 0.5) / (df + 0.5)))
                        postings[Int(term)].withUnsafeBufferPointer { list in
                            for posting in list {
                                let slot = Int(posting.slot)
                                guard live[slot] else { continue }
                                let tf = Float(posting.count)
                                let norm = k1 * (1 - b + b * Float(lengths[slot]) * inverseAverage)
                                if scores[slot] == 0 { touched.append(posting.slot) }
                                scores[slot] += idf * tf / (tf + norm)
                            }
                        }
                    }
                }
            }
        }
        var heap = TopK(capacity: top)
        for slot in touched {
            let score = scores[Int(slot)]
            guard heap.admits(score) else { continue }
            if let allowed, !allowed(ids[Int(slot)]) { continue }
            heap.insert(score: score, slot: slot)
        }
        return heap.sorted().map { (ids[Int($0.slot)], Double($0.score)) }
    }
}

/// The k largest scores seen: a min-heap whose root is the score to beat.
struct TopK {
    let capacity: Int
    private var items: [(score: Float, slot: Int32)] = []

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(min(capacity, 1_024))
    }

    func admits(_ score: Float) -> Bool { items.count < capacity || score > items[0].score }
    var isFull: Bool { items.count >= capacity }
    /// The lowest score kept.
    var worst: Float? { items.first?.score }

    mutating func insert(score: Float, slot: Int32) {
        if items.count < capacity {
            items.append((score, slot))
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[child].score < items[parent].score else { break }
                items.swapAt(child, parent)
                child = parent
            }
        } else if score > items[0].score {
            items[0] = (score, slot)
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count && items[left].score < items[smallest].score { smallest = left }
                if right < items.count && items[right].score < items[smallest].score { smallest = right }
                guard smallest != parent else { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }

    /// Best first; equal scores in slot order.
    func sorted() -> [(score: Float, slot: Int32)] {
        items.sorted { $0.score != $1.score ? $0.score > $1.score : $0.slot < $1.slot }
    }
}
