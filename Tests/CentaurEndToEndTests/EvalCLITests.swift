import CentaurCore
import CentaurTestSupport
import Foundation
import Testing

/// `centaur eval` through the built binary: exit statuses, compare, and a Centaur dataset as the test source.
@Suite("centaur eval")
struct EvalCLITests {
    static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let output = try await CLI.run(arguments)
        return (output.status, output.stdout, output.stderrText)
    }

    static func suite(_ directory: URL, name: String, expect: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try """
            description: echo \(name)
            providers: [echo]
            prompts: ["The answer is {{word}}"]
            tests:
              - vars: { word: yes }
                assert: [{ type: contains, value: \(expect) }]
              - vars: { word: maybe }
                assert: [{ type: contains, value: maybe }]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a retrieval index gated by ndcg, recall and mrr: examples/evals/retrieval-papers.yaml passes on the example papers")
    func retrievalSuite() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-eval-retrieval-\(UUID().uuidString)").path
        let papers = Repository.root.appendingPathComponent("examples/retrieval/papers.jsonl").path
        let created = try await Self.run(["index", "create", "papers", "--input", papers, "--metadata-fields", "year,venue", "--data-dir", data])
        #expect(created.status == 0, "\(created.stderr)")
        let suite = Repository.root.appendingPathComponent("examples/evals/retrieval-papers.yaml").path
        let run = try await Self.run(["eval", "run", suite, "--data-dir", data, "--quiet", "--no-cache"])
        #expect(run.status == 0 && run.stdout.contains("100.0%"), "\(run.stdout) \(run.stderr)")
        let missing = try await Self.run(["eval", "run", suite, "--data-dir", data + "-elsewhere", "--quiet", "--no-cache"])
        #expect(missing.status != 0, "no index there: the suite fails instead of passing")
    }

    @Test("run exits 0 when all pass and 100 when some fail and prints its id; compare gates each provider and case past --max-drop, one suite only")
    func runAndCompare() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-eval-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let data = directory.appendingPathComponent("data").path
        func runID(_ stdout: String) -> String? {
            stdout.split(separator: "\n").last { $0.hasPrefix("run: ") }.map { String($0.dropFirst(5)) }
        }
        // The same suite file before and after a change that breaks one case.
        let good = try await Self.run(["eval", "run", try Self.suite(directory, name: "suite.yaml", expect: "yes"), "--data-dir", data, "--quiet"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("100.0%"))
        let bad = try await Self.run(["eval", "run", try Self.suite(directory, name: "suite.yaml", expect: "no"), "--data-dir", data, "--quiet",
                                      "--output", directory.appendingPathComponent("bad.json").path])
        #expect(bad.status == 100)
        let goodID = try #require(runID(good.stdout), "run: ID on stdout: \(good.stdout)")
        let badID = try #require(runID(bad.stdout))
        let listed = try await Self.run(["eval", "list", "--data-dir", data])
        #expect(listed.stdout.contains("\(goodID)") && listed.stdout.contains("2/2 passed") && listed.stdout.contains("1/2 passed"), "\(listed.stdout)")

        let compare = try await Self.run(["eval", "compare", goodID, badID, "--data-dir", data])
        #expect(compare.status == 1)
        #expect(compare.stdout.contains("1 cases regressed") && compare.stdout.contains("regressed: t0-p0-m0 (echo)"), "\(compare.stdout)")
        #expect(compare.stderr.contains("provider echo") && compare.stderr.contains("case t0-p0-m0 (echo)"), "\(compare.stderr)")
        // Half the cases failing is a 50-point drop overall and for the provider, but the case itself fell by 100.
        let tolerant = try await Self.run(["eval", "compare", goodID, badID, "--data-dir", data, "--max-drop", "0.6"])
        #expect(tolerant.status == 1 && tolerant.stderr.contains("case t0-p0-m0") && !tolerant.stderr.contains("provider echo"), "\(tolerant.stderr)")
        let lenient = try await Self.run(["eval", "compare", goodID, badID, "--data-dir", data, "--max-drop", "1"])
        #expect(lenient.status == 0)
        let missing = try await Self.run(["eval", "compare", "nope", badID, "--data-dir", data])
        #expect(missing.status == 1 && missing.stderr.contains("no run nope"))
        let other = try await Self.run(["eval", "run", try Self.suite(directory, name: "other.yaml", expect: "yes"), "--data-dir", data, "--quiet"])
        let otherID = try #require(runID(other.stdout))
        let mixed = try await Self.run(["eval", "compare", goodID, otherID, "--data-dir", data])
        #expect(mixed.status == 1 && mixed.stderr.contains("only runs of one suite compare"), "\(mixed.stderr)")
        let report = try JSONValue(parsing: Data(contentsOf: directory.appendingPathComponent("bad.json")))
        #expect(report["results"]?["stats"]?["successes"] == 1 && report["results"]?["stats"]?["failures"] == 1)
    }

    @Test("a suite file with a mistake is a clear error")
    func badSuite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-eval-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("s.yaml").path
        try "providers: [echo]\ntests: [{assert: [{type: smells-right}]}]".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await Self.run(["eval", "run", path, "--data-dir", directory.path])
        #expect(result.status == 1 && result.stderr.contains("unknown assertion type 'smells-right'"))
        let unknownProvider = directory.appendingPathComponent("p.yaml").path
        try "providers: [acme:chat:x]".write(toFile: unknownProvider, atomically: true, encoding: .utf8)
        let provider = try await Self.run(["eval", "run", unknownProvider, "--data-dir", directory.path])
        #expect(provider.status == 1 && provider.stderr.contains("unknown provider 'acme:chat:x'"))
    }

    @Test("human corrections from review are a test source: the extractors are scored against what the human said",
          Samples.needed)
    func dataset() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-eval-dataset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let data = directory.appendingPathComponent("data").path
        let back = Samples.url("person-01", "license-back.png").path
        let submit = try await Self.run(["onboard", "submit", "--license-back", back, "--market-state", "IL",
                                         "--set", "us-drivers-license.first_name=ROBIN", "--json", "--data-dir", data])
        #expect(submit.status == 0, "\(submit.stderr)")
        let suite = directory.appendingPathComponent("flywheel.yaml").path
        try """
            description: Corrections from review
            schema: us-drivers-license
            providers: [centaur:extract]
            prompts: ["Read the licence."]
            tests: centaur:dataset:us-drivers-license
            """.write(toFile: suite, atomically: true, encoding: .utf8)
        let json = directory.appendingPathComponent("r.json").path
        let run = try await Self.run(["eval", "run", suite, "--data-dir", data, "--quiet", "--output", json])
        #expect(run.status == 100, "the barcode says JANE; the human said ROBIN")
        let report = try JSONValue(parsing: Data(contentsOf: URL(fileURLWithPath: json)))
        let result = try #require(report["results"]?["results"]?[0])
        #expect(result["vars"]?["expected"]?["first_name"] == "ROBIN")
        #expect(result["gradingResult"]?["reason"]?.stringValue?.contains("first_name: expected \"ROBIN\", got \"JANE\"") == true)
    }
}
