import CentaurCore
import CentaurRetrieval
import CentaurTestSupport
import Foundation
import Testing

/// `centaur index` through the built binary, several processes on one data directory.
@Suite("centaur index across processes")
struct IndexCLITests {
    @Test("six centaur index add processes on one index at once keep all six additions (a conditional write under flock)")
    func concurrentAdds() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-index-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data").path
        let papers = Repository.root.appendingPathComponent("examples/retrieval/papers.jsonl").path
        let created = try await CLI.run(["index", "create", "papers", "--input", papers, "--data-dir", data])
        #expect(created.status == 0, "\(created.stderrText)")
        let inputs = try (0..<6).map { n -> String in
            let file = directory.appendingPathComponent("add-\(n).jsonl")
            try Data(#"{"_id": "added-\#(n)", "title": "Note \#(n)", "text": "vitamin D note number \#(n)"}"#.utf8).write(to: file)
            return file.path
        }
        let statuses = try await withThrowingTaskGroup(of: (Int32, String).self) { group in
            for input in inputs {
                group.addTask {
                    let result = try await CLI.run(["index", "add", "papers", "--input", input, "--data-dir", data])
                    return (result.status, result.stderrText)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0.0 == 0 }, "\(statuses)")
        let collection = try await RetrievalLibrary(directory: URL(fileURLWithPath: data).appendingPathComponent("indexes")).load("papers")
        #expect(collection.count == 8 + 6, "\(collection.documents.keys.sorted())")
        #expect((0..<6).allSatisfy { collection.documents["added-\($0)"] != nil })
        let again = try await CLI.run(["index", "create", "papers", "--input", papers, "--data-dir", data])
        #expect(again.status != 0 && again.stderrText.contains("exists"), "\(again.stderrText)")
    }
}
