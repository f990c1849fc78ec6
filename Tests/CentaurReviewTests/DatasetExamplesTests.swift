import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurTestSupport
import Foundation
import Testing

@Suite("Few-shot examples from the newest dataset version, without a restart")
struct DatasetExamplesTests {
    /// The built-in licence type (always defined).
    static let type = try! DocumentType.named("us-drivers-license")

    /// A dataset library in a fresh folder (the caller removes it).
    static func library() -> (DatasetLibrary, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-datasets-\(UUID().uuidString)")
        return (DatasetLibrary(directory: directory), directory)
    }

    /// Rows of licence fronts, one per subject, all in the training split (a test share of 0).
    static func rows(_ texts: [String: String]) throws -> [DatasetRow] {
        try texts.map { subject, text in
            let json: JSONValue = ["subject": .string(subject), "document_type": "us-drivers-license", "schema_version": 1,
                                   "documents": ["front.png"], "text": .string(text), "fields": ["last_name": .string(subject.uppercased())],
                                   "machine": [:], "corrected": [], "split": "train"]
            return try JSONDecoder().decode(DatasetRow.self, from: Data(json.jsonString().utf8))
        }
    }

    @Test("a version snapshotted while the server runs is used from the next look on; between looks nothing is read again")
    func newVersion() async throws {
        let (library, directory) = Self.library()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try library.snapshot(try Self.rows(["ann": "AAAA BBBB", "bob": "CCCC DDDD"]), documentType: Self.type.id, testShare: 0).0
        let now = DatasetExamples(library: library, k: 1, embedder: LetterEmbedder(), interval: .zero)
        let later = DatasetExamples(library: library, k: 1, embedder: LetterEmbedder(), interval: .seconds(3_600))
        #expect(try await now.examples(for: Self.type, text: "ZZZZ ZZZ", subject: "x").map(\.subject).count == 1)
        #expect(await later.currentVersions() == [first.id])
        // A reviewer's corrections become a new version with a closer example.
        let second = try library.snapshot(try Self.rows(["ann": "AAAA BBBB", "bob": "CCCC DDDD", "zed": "ZZZZ ZZZZ"]),
                                          documentType: Self.type.id, testShare: 0, now: Date().addingTimeInterval(1)).0
        #expect(second.id != first.id)
        #expect(try await now.examples(for: Self.type, text: "ZZZZ ZZZ", subject: "x").map(\.subject) == ["zed"])
        #expect(await now.currentVersions() == [second.id])
        #expect(await later.currentVersions() == [first.id], "within its interval it keeps the version it has")
        #expect(try await later.examples(for: Self.type, text: "ZZZZ ZZZ", subject: "x").map(\.subject) != ["zed"])
        // Never the subject's own document.
        #expect(try await now.examples(for: Self.type, text: "ZZZZ ZZZ", subject: "zed").map(\.subject) != ["zed"])
    }

    @Test("a damaged newer version leaves the examples in use as they were")
    func damagedVersion() async throws {
        let (library, directory) = Self.library()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try library.snapshot(try Self.rows(["ann": "AAAA"]), documentType: Self.type.id, testShare: 0).0
        let examples = DatasetExamples(library: library, k: 1, embedder: LetterEmbedder(), interval: .zero)
        #expect(try await examples.examples(for: Self.type, text: "AAAA", subject: "x").map(\.subject) == ["ann"])
        let second = try library.snapshot(try Self.rows(["ann": "AAAA", "zed": "ZZZZ"]), documentType: Self.type.id, testShare: 0,
                                          now: Date().addingTimeInterval(1)).0
        try Data("{\"subject\": \"tampered\"}\n".utf8).write(to: directory.appendingPathComponent(second.id + ".jsonl"))
        #expect(try await examples.examples(for: Self.type, text: "ZZZZ", subject: "x").map(\.subject) == ["ann"])
        #expect(await examples.currentVersions() == [first.id])
    }
}
