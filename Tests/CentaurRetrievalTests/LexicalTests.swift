import CentaurCore
import Foundation
import Testing
@testable import CentaurRetrieval

@Suite("English stemming and analysis")
struct AnalysisTests {
    @Test("the Snowball English stemmer gives the published stems")
    func stems() {
        let stemmer = EnglishStemmer()
        let expected = [
            "caresses": "caress", "ponies": "poni", "ties": "tie", "cries": "cri", "cats": "cat", "gas": "gas", "gaps": "gap",
            "kiwis": "kiwi", "running": "run", "hopping": "hop", "hoping": "hope", "agreed": "agre", "feed": "feed",
            "generously": "generous", "generation": "generat", "knightly": "knight", "consistently": "consist",
            "consignment": "consign", "dying": "die", "skies": "sky", "news": "news", "happy": "happi", "cry": "cri", "by": "by",
            "say": "say", "relational": "relat", "motoring": "motor", "plastered": "plaster", "proceed": "proceed",
            "inning": "inning", "hopefulness": "hope", "callousness": "callous", "operator": "oper", "adjustment": "adjust",
            "communism": "communism", "effective": "effect", "sensitivity": "sensit", "studies": "studi", "studying": "studi",
            // Snowball 2 and 3 revisions, as PyStemmer 3.1 stems them (all 36,116 SciFact words agree):
            "added": "add", "biologists": "biolog", "university": "universiti", "organization": "organiz", "lateral": "lateral",
            "emergency": "emergenc", "international": "internat", "interval": "interval", "evening": "evening", "past": "past",
            "14days": "14day", "arg139cys": "arg139ci", "e3s": "e3", "naïve": "naïv", "goutières": "goutièr", "βars": "βar",
        ]
        for (word, stem) in expected {
            #expect(stemmer.stem(word) == stem, "\(word)")
        }
        #expect(stemmer.stem("2019") == "2019" && stemmer.stem("ab") == "ab", "numbers and two-letter words pass through")
    }

    @Test("words are lower-cased runs of two or more word characters; stop words go; stems come out")
    func words() {
        #expect(Analyzer.words("Hello, World_x 42 a B-cells ÉCOLE") == ["hello", "world_x", "42", "cells", "école"])
        #expect(Analyzer.english.terms("The cells are running into the studies of a virus") == ["cell", "run", "studi", "virus"])
    }
}

@Suite("BM25 lexical index")
struct LexicalIndexTests {
    static let corpus = [
        ("d1", "Vitamin D supplements and bone density in older women"),
        ("d2", "Statins lower cholesterol; statin therapy and muscle pain"),
        ("d3", "Bone fractures after falls: vitamin D, calcium and exercise"),
        ("d4", "Deep learning for protein structure prediction"),
        ("d5", "Exercise improves bone density in running athletes"),
    ]

    static func index() -> LexicalIndex {
        var index = LexicalIndex()
        for (id, text) in corpus { index.upsert(id: id, text: text) }
        return index
    }

    @Test("scores are Lucene BM25: the rarer and more repeated term wins, shorter documents a little more")
    func scoring() {
        let index = Self.index()
        let hits = index.search("vitamin D bone density", top: 10)
        #expect(hits.first?.id == "d1", "\(hits)")
        #expect(Set(hits.map(\.id)) == ["d1", "d3", "d5"], "only documents sharing a term")
        // By hand: the query term "statin" appears twice in d2 (statins, statin).
        let n = 5.0, df = 1.0
        let idf = log(1 + (n - df + 0.5) / (df + 0.5))
        let length = Double(Analyzer.english.terms(Self.corpus[1].1).count)
        let average = Double(Self.corpus.map { Analyzer.english.terms($0.1).count }.reduce(0, +)) / n
        let expected = idf * 2 / (2 + 1.5 * (1 - 0.75 + 0.75 * length / average))
        let statin = index.search("statins", top: 1)
        #expect(statin.count == 1 && statin[0].id == "d2" && abs(statin[0].score - expected) < 1e-5, "\(statin) vs \(expected)")
        #expect(index.search("quantum chromodynamics", top: 5).isEmpty)
        #expect(index.search("bone", top: 2).count == 2, "top bounds the results")
    }

    @Test("replacing and removing documents needs no rebuild, and a much-updated index ranks exactly as a fresh one")
    func updates() {
        var index = Self.index()
        index.upsert(id: "d4", text: "Vitamin D deficiency and bone loss")
        #expect(index.count == 5 && index.search("protein", top: 5).isEmpty, "the old text of d4 is gone")
        #expect(index.remove(id: "d2") && !index.remove(id: "d2") && index.count == 4)
        #expect(index.search("statin", top: 5).isEmpty)
        // Thousands of updates: retired slots are compacted away and scores match a fresh index of the same documents.
        var generator = SystemRandomNumberGenerator()
        var current = Dictionary(uniqueKeysWithValues: Self.corpus.map { ($0.0, $0.1) })
        current["d4"] = "Vitamin D deficiency and bone loss"
        current["d2"] = nil
        index.remove(id: "d2")
        let words = ["bone", "vitamin", "exercise", "protein", "running", "density", "calcium", "falls", "women", "learning"]
        for step in 0..<3_000 {
            let id = "d\(Int.random(in: 1...8, using: &generator))"
            if step % 7 == 0 {
                index.remove(id: id)
                current[id] = nil
            } else {
                let text = (0..<Int.random(in: 3...12, using: &generator)).map { _ in words.randomElement(using: &generator)! }.joined(separator: " ")
                index.upsert(id: id, text: text)
                current[id] = text
            }
        }
        #expect(index.retiredSlots <= max(64, index.count / 4) + 1, "compaction keeps retired slots bounded")
        var fresh = LexicalIndex()
        for (id, text) in current.sorted(by: { $0.key < $1.key }) { fresh.upsert(id: id, text: text) }
        for query in ["bone density", "vitamin calcium", "running exercise women", "protein learning"] {
            let a = index.search(query, top: 10), b = fresh.search(query, top: 10)
            #expect(Dictionary(uniqueKeysWithValues: a.map { ($0.id, Float($0.score)) }) == Dictionary(uniqueKeysWithValues: b.map { ($0.id, Float($0.score)) }),
                    "\(query)")
        }
    }

    @Test("a filter keeps only allowed documents and still returns the best of them")
    func filtered() {
        let index = Self.index()
        let hits = index.search("bone", top: 1, allowed: { $0 != "d1" && $0 != "d5" })
        #expect(hits.map(\.id) == ["d3"])
    }
}

@Suite("Collections, filters and the index file")
struct CollectionTests {
    static func collection() throws -> RetrievalCollection {
        var collection = RetrievalCollection(manifest: CollectionManifest(name: "papers", metadataFields: ["year", "venue", "place", "published"]))
        let records: [[String: JSONValue]] = [
            ["_id": .string("a"), "title": .string("Vitamin D and bone"), "text": .string("A trial in women."), "year": .number(2012),
             "venue": .string("NEJM"), "place": .object(["lat": .number(52.52), "lon": .number(13.405)]), "published": .string("2012-05-01")],
            ["_id": .number(7), "title": .string("Bone density"), "text": .string("Running and bone."), "year": .number(2019),
             "venue": .string("BMJ"), "place": .object(["lat": .number(48.8566), "lon": .number(2.3522)])],
            ["_id": .string("c"), "text": .string("Bone marrow transplants"), "year": .number(2021), "venue": .string("NEJM")],
        ]
        try collection.upsert(try records.enumerated().map { try collection.document(from: $0.element, line: $0.offset + 1) })
        return collection
    }

    @Test("records become documents by the manifest's fields, typed; a record without an id or text is a clear error")
    func documents() throws {
        let collection = try Self.collection()
        let a = try #require(collection.documents["a"])
        #expect(a.text == "Vitamin D and bone A trial in women." && a.metadata["year"] == .number(2012))
        #expect(a.metadata["published"] == .date(MetadataValue.parseDate("2012-05-01")!))
        #expect(collection.documents["7"] != nil, "numeric ids become text")
        #expect(RetrievalDocument.id(.number(7)) == "7" && RetrievalDocument.id(.number(7.5)) == nil && RetrievalDocument.id(.number(1e30)) == nil
                && RetrievalDocument.id(.string("")) == nil && RetrievalDocument.id(.bool(true)) == nil, "only non-empty text and whole numbers")
        #expect(throws: RetrievalError.self) { try collection.document(from: ["title": .string("x")], line: 4) }
        #expect(throws: RetrievalError.self) { try collection.document(from: ["_id": .string("x"), "year": .number(1)], line: 5) }
    }

    @Test("filters: equality, ranges on numbers and dates, a radius around a place, several at once")
    func filters() async throws {
        let collection = try Self.collection()
        func ids(_ expression: String) async throws -> [String] {
            try await collection.search(RetrievalQuery(text: "bone", top: 10, filter: try RetrievalFilter.parse(expression))).map(\.id).sorted()
        }
        #expect(try await ids("venue=NEJM") == ["a", "c"])
        #expect(try await ids("year>=2019") == ["7", "c"])
        #expect(try await ids("year>2019 and venue=NEJM") == ["c"])
        #expect(try await ids("venue!=NEJM") == ["7"])
        #expect(try await ids("published<2013-01-01") == ["a"])
        #expect(try await ids("near(place, 52.5, 13.4, 25km)") == ["a"], "Berlin, not Paris")
        #expect(try await ids("near(place, 50.0, 8.0, 600km)") == ["7", "a"])
        #expect(throws: RetrievalError.self) { try RetrievalFilter.parse("year>>") }
        #expect(throws: RetrievalError.self) { try RetrievalFilter.parse("near(place, 95, 0, 1km)") }
        #expect(throws: RetrievalError.self) { try RetrievalFilter.parse("venue>NEJM") }
    }

    @Test("dense and hybrid modes on a collection without embeddings are refused with what to do")
    func denseIsRefused() async throws {
        let collection = try Self.collection()
        await #expect(throws: RetrievalError.self) { try await collection.search(RetrievalQuery(text: "bone", mode: .dense)) }
        await #expect(throws: RetrievalError.self) { try await collection.search(RetrievalQuery(text: "bone", mode: .hybrid), embedder: nil) }
    }

    @Test("an index written to disk reads back with the same results; a damaged or missing file is a clear error")
    func file() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-index-\(UUID().uuidString)")
        let library = RetrievalLibrary(directory: directory)
        var collection = try Self.collection()
        collection.delete(ids: ["c"])
        try await library.save(collection)
        #expect(try await library.names() == ["papers"])
        let loaded = try await library.load("papers")
        #expect(loaded.count == 2 && loaded.manifest == collection.manifest && loaded.documents == collection.documents)
        #expect(loaded.lexical.wordTerms == collection.lexical.wordTerms, "queries find their words' stems ready")
        let query = RetrievalQuery(text: "bone running women", top: 5)
        #expect(try await loaded.search(query) == (try await collection.search(query)))
        let path = directory.appendingPathComponent("papers.cidx")
        // A file an earlier build wrote (no header: it starts with CIDX) reads, and takes a conditional write.
        try RetrievalLibrary.encode(collection).write(to: path)
        let (legacy, version) = try await library.loadVersioned("papers")
        #expect(legacy.documents == collection.documents && version.hasPrefix("legacy/"))
        try await library.save(legacy, if: .version(version))
        #expect(try await library.version("papers").map { $0.count == 32 && !$0.hasPrefix("legacy/") } == true, "a header now")
        let bytes = try Data(contentsOf: path)
        try bytes.prefix(bytes.count / 2).write(to: path)
        await #expect(throws: RetrievalError.self) { try await library.load("papers") }
        await #expect(throws: RetrievalError.self) { try await library.load("nothing") }
        await #expect(throws: RetrievalError.self) { try await library.load("../etc") }
        try await library.delete("papers")
        #expect(try await library.names().isEmpty)
        // A file that is there but cannot be read (here a folder in its place) is that error, never "no index".
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        let unreadable = await #expect(throws: RetrievalError.self) { try await library.load("papers") }
        #expect("\(String(describing: unreadable))".contains("cannot read"), "\(String(describing: unreadable))")
    }
}

@Suite("Filtered search against brute force")
struct FilteredSearchProperty {
    /// BM25 written out plainly over the filtered documents: the reference the index must agree with.
    static func bruteForce(_ documents: [RetrievalDocument], terms: [[String]], query: String, top: Int, filter: RetrievalFilter) -> [String] {
        let analyzer = Analyzer.english
        let n = Double(documents.count)
        let average = Double(terms.map(\.count).reduce(0, +)) / n
        let queryTerms = analyzer.terms(query)
        let frequency = Dictionary(uniqueKeysWithValues: Set(queryTerms).map { term in (term, Double(terms.filter { $0.contains(term) }.count)) })
        var scores: [(id: String, score: Float)] = []
        for (index, document) in documents.enumerated() where filter.matches(document.metadata) {
            var score = 0.0
            for term in queryTerms {
                let df = frequency[term]!
                guard df > 0 else { continue }
                let tf = Double(terms[index].filter { $0 == term }.count)
                guard tf > 0 else { continue }
                score += log(1 + (n - df + 0.5) / (df + 0.5)) * tf / (tf + 1.5 * (1 - 0.75 + 0.75 * Double(terms[index].count) / average))
            }
            if score > 0 { scores.append((document.id, Float(score))) }
        }
        return scores.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }.prefix(top).map(\.id)
    }

    @Test("filters keeping 1–5 % of the rows: the top 20 equal brute force's (recall@20 = 1.0), and every match is found")
    func agreesWithBruteForce() async throws {
        var generator = SeededGenerator(seed: 42)
        let words = (0..<60).map { "word\($0)" } + ["bone", "vitamin", "density", "running", "protein", "cells"]
        var collection = RetrievalCollection(manifest: CollectionManifest(name: "prop", metadataFields: ["bucket", "year"]))
        let documents = (0..<2_000).map { n in
            RetrievalDocument(id: "d\(n)", text: (0..<Int.random(in: 5...40, using: &generator)).map { _ in words.randomElement(using: &generator)! }.joined(separator: " "),
                              metadata: ["bucket": .number(Double(Int.random(in: 0..<100, using: &generator))), "year": .number(Double(2000 + n % 25))])
        }
        try collection.upsert(documents)
        var stems: [String: String] = [:]
        let terms = documents.map { Analyzer.english.terms($0.text, cache: &stems) }
        for trial in 0..<30 {
            let low = Int.random(in: 0..<96, using: &generator), width = Int.random(in: 1...5, using: &generator)
            let filter = RetrievalFilter.range("bucket", lower: .init(.number(Double(low)), inclusive: true), upper: .init(.number(Double(low + width)), inclusive: false))
            let query = (0..<Int.random(in: 1...4, using: &generator)).map { _ in words.randomElement(using: &generator)! }.joined(separator: " ")
            let expected = Self.bruteForce(documents, terms: terms, query: query, top: 20, filter: filter)
            let hits = try await collection.search(RetrievalQuery(text: query, top: 20, filter: filter))
            let kept = documents.filter { filter.matches($0.metadata) }.count
            #expect(Set(hits.map(\.id)) == Set(expected), "trial \(trial): \(query) within \(filter) (\(kept) rows)")
            #expect(hits.allSatisfy { filter.matches(collection.documents[$0.id]!.metadata) })
        }
    }
}

/// A small deterministic generator (SplitMix64), so property tests repeat.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
