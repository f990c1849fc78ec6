import CentaurCore
import Foundation
import Testing
@testable import CentaurRetrieval

@Suite("Chunking")
struct ChunkerTests {
    static let document = """
        # Methods
        We enrolled 120 adults. Each took vitamin D daily for two years.

        Bone density was measured at the hip and the spine every six months.

        # Results
        Hip density rose slightly. Falls did not change. Muscle strength did not change either, and no serious harm was seen.
        """

    @Test("a short document is one chunk; a long one is packed along headings and paragraphs, within the budget, with overlap")
    func packing() {
        #expect(Chunker(maximumTokens: 256).chunks("One short paragraph.").map(\.text) == ["One short paragraph."])
        let chunker = Chunker(maximumTokens: 24, overlap: 4)
        let chunks = chunker.chunks(Self.document)
        #expect(chunks.count >= 3 && chunks.map(\.number) == Array(1...chunks.count))
        #expect(chunks[1].text.contains(" … "), "the second chunk starts with the first one's end")
        #expect(chunks.allSatisfy { Chunker.words($0.text.replacingOccurrences(of: " … ", with: " ")) <= 24 }, "\(chunks.map(\.text))")
        #expect(chunks.first?.heading == "Methods" && chunks.last?.heading == "Results")
        #expect(chunks.first?.text.hasPrefix("Methods") == true, "a heading stays with the text under it")
        #expect(!chunks.contains { $0.text.hasSuffix("Results") }, "no chunk ends with a heading")
        // Each chunk after the first starts with the previous chunk's last words.
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            let carried = (next.text.components(separatedBy: " … ").first ?? "").split(whereSeparator: \.isWhitespace)
            let before = previous.text.split(whereSeparator: \.isWhitespace)
            #expect(Array(before.suffix(carried.count)) == carried, "\(next.text)")
        }
        // Nothing is lost: every word of the document is in some chunk.
        let words = Set(Self.document.split(whereSeparator: { $0.isWhitespace || $0 == "#" }).map(String.init))
        let covered = Set(chunks.flatMap { $0.text.split(whereSeparator: \.isWhitespace).map(String.init) })
        #expect(words.isSubset(of: covered), "\(words.subtracting(covered))")
    }

    @Test("Markdown headings: one to six #, a space, a title; #hashtags and bare # are text")
    func headings() {
        #expect(Chunker.heading("## Results ##") == "Results" && Chunker.heading("# Methods") == "Methods")
        #expect(Chunker.heading("#hashtag here") == nil && Chunker.heading("#") == nil && Chunker.heading("####### seven") == nil)
    }

    @Test("pages come from form feeds; an over-long sentence is cut by words")
    func pagesAndLongSentences() {
        let pages = Chunker(maximumTokens: 16, overlap: 0).chunks("First page text here.\u{0C}Second page text.\u{0C}Third.")
        #expect(pages.map(\.page) == [1] || pages.compactMap(\.page).first == 1)
        let split = Chunker(maximumTokens: 16, overlap: 0).chunks("Page one has words.\u{0C}" + String(repeating: "word ", count: 40))
        #expect(split.allSatisfy { Chunker.words($0.text) <= 16 } && split.last?.page == 2, "\(split.map { ($0.page, $0.text) })")
    }

    @Test("a chunking collection stores ID#N with parent, chunk and heading; deleting the record deletes its chunks")
    func collection() throws {
        var manifest = CollectionManifest(name: "chunks", metadataFields: ["year"])
        manifest.chunking = ChunkSettings(tokens: 24, overlap: 4)
        var collection = RetrievalCollection(manifest: manifest)
        let documents = try collection.documents(from: ["_id": .string("paper"), "text": .string(Self.document), "year": .number(2020)])
        #expect(documents.count >= 3 && documents[0].id == "paper#1")
        #expect(documents[0].metadata["parent"] == .string("paper") && documents[0].metadata["chunk"] == .number(1)
                && documents[0].metadata["year"] == .number(2020) && documents[0].metadata["heading"] == .string("Methods"))
        try collection.upsert(documents)
        #expect(try collection.searchNow(RetrievalQuery(text: "muscle strength harm", top: 1)).first?.id == "paper#\(documents.count)")
        #expect(collection.delete(ids: collection.storedIDs(ofRecords: ["paper"])) == documents.count && collection.count == 0)
    }
}
