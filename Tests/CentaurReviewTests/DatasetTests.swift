import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurStore
import CentaurTestSupport
import Foundation
import Testing

@Suite("Dataset versions: snapshots, splits, diffs and exports")
struct DatasetTests {
    /// `count` confirmed applications with a licence read as text; every third has its last name corrected by a human.
    static func seed(_ store: InMemoryStore, count: Int, from first: Int = 0, state: ApplicationState = .approved) async throws {
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        for n in first..<(first + count) {
            let id = "app-\(n)"
            let fields: [String: JSONValue] = ["last_name": .string("MISREAD\(n)"), "first_name": .string("JANE"), "license_number": .string("D\(n)")]
            let document = ReconciledDocument(documentType: "us-drivers-license", documents: ["front-\(n).png"], fields: fields, provenance: [:],
                                              disagreements: [], attempts: [], usage: .zero, cost: nil,
                                              text: "DRIVER LICENSE\nLN SAMPLE\(n)\nFN JANE\nDL D\(n)", notes: [])
            let documents = String(decoding: try JSONEncoder().encode([document]), as: UTF8.self)
            var change = WorkflowChange(application: ApplicationRecord(id: id, state: state, tokenHash: "h\(n)", marketState: nil, createdAt: date,
                                                                       updatedAt: date), expectedVersion: nil)
            change.extraction = ExtractionRecord(id: "ex-\(n)", applicationID: id, createdAt: date, documents: documents, documentIDs: "[]")
            if n % 3 == 0 {
                change.adjustments = [AdjustmentRecord(id: "adj-\(n)", applicationID: id, extractionID: "ex-\(n)", documentType: "us-drivers-license",
                                                       field: "last_name", before: #""MISREAD\#(n)""#, after: #""SAMPLE\#(n)""#, kind: "reviewer",
                                                       actor: "reviewer:ana", reason: "as printed", highRisk: false, createdAt: date)]
            }
            try await store.commit(change)
        }
    }

    static func library() -> DatasetLibrary {
        DatasetLibrary(directory: FileManager.default.temporaryDirectory.appendingPathComponent("centaur-datasets-\(UUID().uuidString)"))
    }

    @Test("a snapshot is named by its content: the same rows give the same id, a new correction a new one; splits never straddle a subject")
    func reproducible() async throws {
        let (service, store) = try Fixtures.service()
        try await Self.seed(store, count: 60)
        try await Self.seed(store, count: 3, from: 100, state: .awaitingApplicant)   // not confirmed: not labelled
        let rows = try await service.datasetRows(documentType: "us-drivers-license")
        #expect(rows.count == 60)
        let corrected = try #require(rows.first { $0.subject == "app-3" })
        #expect(corrected.fields["last_name"] == "SAMPLE3" && corrected.machine["last_name"] == "MISREAD3" && corrected.corrected == ["last_name"])
        #expect(rows.first { $0.subject == "app-4" }?.corrected == [], "a row the applicant confirmed as read")

        let library = Self.library()
        let (first, created) = try library.snapshot(rows, documentType: "us-drivers-license", testShare: 0.25)
        #expect(created && first.rows == 60 && first.corrected == 20 && first.train + first.test == 60)
        #expect((8...24).contains(first.test), "about a quarter of 60 subjects: \(first.test)")
        // Rows in another order, a day later: the same content, the same version.
        let (again, createdAgain) = try library.snapshot(rows.reversed(), documentType: "us-drivers-license", testShare: 0.25,
                                                         now: Date().addingTimeInterval(86_400))
        #expect(!createdAgain && again.id == first.id && again.sha256 == first.sha256)
        // A subject's split is a function of the subject alone: the same in every snapshot and every share below it.
        let stored = try library.rows(first.id)
        #expect(stored.allSatisfy { $0.split == DatasetLibrary.split(of: $0.subject, testShare: 0.25) })
        let subjectsPerSplit = Dictionary(grouping: stored, by: \.subject).mapValues { Set($0.map(\.split)) }
        #expect(subjectsPerSplit.values.allSatisfy { $0.count == 1 })

        // One more correction: a new version; the diff names the row and the field.
        try await store.commit({
            var change = WorkflowChange(application: ApplicationRecord(id: "app-4", state: .approved, tokenHash: "h4", marketState: nil,
                                                                       createdAt: Date(), updatedAt: Date(), version: 2), expectedVersion: 1)
            change.adjustments = [AdjustmentRecord(id: "adj-x", applicationID: "app-4", extractionID: "ex-4", documentType: "us-drivers-license",
                                                   field: "first_name", before: #""JANE""#, after: #""JANET""#, kind: "reviewer", actor: "reviewer:bo",
                                                   reason: nil, highRisk: false, createdAt: Date())]
            return change
        }())
        let (second, _) = try library.snapshot(try await service.datasetRows(documentType: "us-drivers-license"), documentType: "us-drivers-license",
                                               testShare: 0.25)
        #expect(second.id != first.id && second.corrected == 21)
        let diff = DatasetDiff(from: stored, to: try library.rows(second.id))
        #expect(diff.changed == ["app-4/us-drivers-license": ["first_name"]] && diff.added.isEmpty && diff.removed.isEmpty && diff.unchanged == 59)
        #expect(try library.list().map(\.id).sorted() == [first.id, second.id].sorted())

        // A version edited on disk is refused, never used.
        let path = library.directory.appendingPathComponent(first.id + ".jsonl")
        try Data("{}\n".utf8).write(to: path)
        #expect(throws: WorkflowError.self) { try library.rows(first.id) }
        // Ids are names, never paths; an unknown one is a clear not-found.
        for id in ["../\(first.id)", "ds/x", "ds-none"] {
            do {
                _ = try library.rows(id)
                Issue.record("read dataset \(id)")
            } catch { #expect("\(error)".contains("no dataset"), "\(id): \(error)") }
        }
        #expect(throws: (any Error).self) { try library.snapshot(rows, documentType: "us-drivers-license", testShare: 1) }
    }

    @Test("exports follow each provider's documented format: OpenAI chat fine-tuning, Bedrock's Claude 3 Haiku lines, promptfoo tests")
    func exports() async throws {
        let (service, store) = try Fixtures.service()
        try await Self.seed(store, count: 6)
        var rows = try await service.datasetRows(documentType: "us-drivers-license")
        rows[0].text = nil
        let type = try DocumentType.named("us-drivers-license")

        let (openai, skipped) = try DatasetExport.lines(rows, format: .openaiFT)
        #expect(openai.count == 5 && skipped == 1, "a row without text teaches nothing")
        for line in openai {
            // OpenAI: {"messages": [...]}, roles from system/user/assistant, string contents, ending with the assistant's.
            let json = try JSONValue(parsing: Data(line.utf8))
            #expect(json.objectValue?.keys.sorted() == ["messages"])
            let messages = try #require(json["messages"]?.arrayValue)
            #expect(messages.map { $0["role"]?.stringValue } == ["system", "user", "assistant"])
            #expect(messages.allSatisfy { $0["content"]?.stringValue?.isEmpty == false && $0.objectValue?.count == 2 })
            let answer = try JSONValue(parsing: Data(messages[2]["content"]!.stringValue!.utf8))
            #expect(answer.objectValue?.keys.sorted() == type.modelFields.map(\.name).sorted(), "the assistant answers every field the model is asked")
            #expect(messages[1]["content"]?.stringValue?.contains("<<<DOCUMENT") == true, "the extractor's own prompt")
        }
        let row3 = try #require(openai.first { $0.contains("SAMPLE3") })
        #expect(row3.contains(#"\"last_name\":\"SAMPLE3\""#), "the human's value is the target: \(row3.prefix(400))")

        let (bedrock, _) = try DatasetExport.lines(rows, format: .bedrockFT)
        for line in bedrock {
            // Bedrock (Claude 3 Haiku): optional system, ≥ 2 messages, user first, assistant last, alternating, no other keys.
            let json = try JSONValue(parsing: Data(line.utf8))
            #expect(Set(json.objectValue.map { Array($0.keys) } ?? []).isSubset(of: ["system", "messages"]))
            let roles = try #require(json["messages"]?.arrayValue).map { $0["role"]?.stringValue ?? "" }
            #expect(roles.count >= 2 && roles.first == "user" && roles.last == "assistant")
            #expect(zip(roles, roles.dropFirst()).allSatisfy { $0 != $1 })
        }

        let (promptfoo, _) = try DatasetExport.lines(rows, format: .promptfoo)
        let test = try JSONValue(parsing: Data(promptfoo[0].utf8))
        #expect(test["vars"]?["document_text"]?.stringValue?.contains("DRIVER LICENSE") == true)
        let assertions = try #require(test["assert"]?.arrayValue)
        #expect(assertions.first?["type"] == "is-json" && assertions.count == type.modelFields.count + 1)
        #expect(assertions.dropFirst().allSatisfy { $0["type"] == "javascript" && ($0["value"]?.stringValue ?? "").hasPrefix("JSON.parse(output)[") })

        let (plain, _) = try DatasetExport.lines(rows, format: .jsonl)
        #expect(plain.count == 6)
    }
}
