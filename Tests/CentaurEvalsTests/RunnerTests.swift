import CentaurCore
import CentaurStore
import CentaurTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Synchronization
import Testing
@testable import CentaurEvals


/// Answers with the prompt, counting calls; fails with a rate limit on the calls listed.
struct CountingProvider: EvalProvider {
    let calls: Counter
    var rateLimited: Set<Int> = []
    func answer(_ request: EvalRequest) async throws -> EvalAnswer {
        let n = calls.next()
        if rateLimited.contains(n) { throw ModelError(kind: .rateLimited, message: "slow down", retryAfter: .milliseconds(10)) }
        return EvalAnswer(output: request.prompt, inputTokens: 3, outputTokens: 2, costUSD: 0.001, latencyMS: Double(n))
    }
}

@Suite("Suites, the runner and reports")
struct RunnerTests {
    static func temporary() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-evals-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let yaml = """
        description: Capitals
        prompts:
          - "Capital of {{country}}: {{capital}}"
          - { raw: "Q: {{country}} A: {{capital}}", label: short }
        providers:
          - echo
          - { id: counting, label: Counting model }
        defaultTest:
          vars: { capital: unknown }
          assert: [{ type: latency, threshold: 100000 }]
        tests:
          - description: France
            vars: { country: France, capital: Paris }
            assert: [{ type: icontains, value: paris }]
          - vars: { country: Spain }
            assert: [{ type: contains, value: Madrid, weight: 2 }, { type: not-contains, value: Paris }]
            threshold: 0.6
          - file://more.csv
        """

    static func suite(in directory: URL) throws -> EvalSuite {
        try "country,capital,__expected,__description\nItaly,Rome,contains: Rome,Italy row\n\"Korea, South\",Seoul,\"icontains-any: seoul, busan\",\n"
            .write(to: directory.appendingPathComponent("more.csv"), atomically: true, encoding: .utf8)
        try Self.yaml.write(to: directory.appendingPathComponent("suite.yaml"), atomically: true, encoding: .utf8)
        return try EvalSuite.load(path: directory.appendingPathComponent("suite.yaml").path)
    }

    @Test("a suite in promptfoo's format: prompts, providers, defaultTest merged, tests from CSV with __expected")
    func parsing() throws {
        let suite = try Self.suite(in: Self.temporary())
        #expect(suite.description == "Capitals")
        #expect(suite.prompts.map(\.label) == ["prompt 1", "short"])
        #expect(suite.providers.map(\.label) == ["echo", "Counting model"])
        #expect(suite.tests.count == 4)
        #expect(suite.tests[1].vars["capital"] == "unknown")  // from defaultTest
        #expect(suite.tests[1].assertions.map(\.displayName) == ["latency", "contains", "not-contains"])
        #expect(suite.tests[1].threshold == 0.6)
        #expect(suite.tests[3].vars["country"] == "Korea, South")
        #expect(suite.tests[3].assertions.last?.value == ["seoul", "busan"])
        #expect(suite.tests[2].description == "Italy row")
        #expect(throws: EvalSuiteError.self) { try EvalSuite(yaml: "providers: [echo]\nprompt: x", baseDirectory: Self.temporary()) }
        #expect(throws: EvalSuiteError.self) { try EvalSuite(yaml: "providers: [echo]\ntests: [{assert: [{type: sounds-good}]}]", baseDirectory: Self.temporary()) }
    }

    @Test("a run: every test × prompt × provider; verdicts; the JSON, JUnit and HTML reports")
    func run() async throws {
        let directory = Self.temporary()
        let suite = try Self.suite(in: directory)
        let store = InMemoryStore()
        let calls = Counter()
        let runner = EvalRunner(providers: ["echo": EchoProvider(), "counting": CountingProvider(calls: calls)], store: store)
        let run = try await runner.run(suite, suitePath: "suite.yaml")
        #expect(run.results.count == 4 * 2 * 2)
        #expect(run.status == .completed)
        // France, Italy and Korea pass everywhere; Spain (capital unknown) scores 2/4 < 0.6.
        #expect(run.results.filter(\.success).count == 12)
        #expect(run.results.first { $0.testIndex == 1 }?.score == 0.5)

        let json = EvalReports.json(run)
        #expect(json["results"]?["stats"]?["successes"] == 12 && json["results"]?["stats"]?["failures"] == 4)
        let first = try #require(json["results"]?["results"]?[0])
        #expect(first["success"] == true && first["provider"]?["id"] == "echo" && first["vars"]?["country"] == "France")
        #expect(first["response"]?["output"] == "Capital of France: Paris")

        let xml = EvalReports.junit(run)
        let parsed = try JUnitCount.parse(xml)
        #expect(parsed.testcases == 16 && parsed.failures == 4 && parsed.suites == ["echo", "Counting model"])

        let html = HTMLReport.render(run)
        #expect(html.components(separatedBy: "<svg").count - 1 >= 2)
        #expect(html.contains("Pass rate against cost per case") && html.contains("Latency distribution"))
        #expect(!html.contains("<script"))
        let storedCount = try await store.results(runID: run.id).count
        #expect(storedCount == 16)
        let storedRun = try await store.run(id: run.id)
        #expect(storedRun?.status == .completed)
    }

    @Test("a stored run renders as the HTML report of the run itself")
    func storedReport() async throws {
        let store = InMemoryStore()
        let suite = try EvalSuite(yaml: "description: stored check\nproviders: [echo]\nprompts: ['{{x}}']\ntests: [{vars: {x: hi}, assert: [{type: equals, value: hi}]}]",
                                  baseDirectory: FileManager.default.temporaryDirectory)
        let run = try await EvalRunner(providers: ["echo": EchoProvider()], store: store).run(suite, suitePath: "stored.yaml")
        let record = try #require(try await store.run(id: run.id))
        let stored = HTMLReport.render(stored: record, results: try await store.results(runID: run.id))
        #expect(stored == HTMLReport.render(run), "the same page as the run's own report")
        #expect(stored.contains("stored check"))
    }

    @Test("a run's id and times come from the sources it is given")
    func injectedClockAndID() async throws {
        let suite = try EvalSuite(yaml: "description: clock\nproviders: [echo]\nprompts: ['{{x}}']\ntests: [{vars: {x: hi}, assert: [{type: equals, value: hi}]}]",
                                  baseDirectory: FileManager.default.temporaryDirectory)
        let store = InMemoryStore()
        var runner = EvalRunner(providers: ["echo": EchoProvider()], store: store)
        let fixed = Date(timeIntervalSince1970: 1_800_000_000)
        runner.now = { fixed }
        runner.newRunID = { "eval-fixed" }
        let run = try await runner.run(suite, suitePath: "clock.yaml")
        #expect(run.id == "eval-fixed")
        #expect(run.startedAt == fixed && run.endedAt == fixed)
        #expect(try await store.run(id: "eval-fixed")?.startedAt == fixed)
    }

    @Test("an unchanged case is not asked again; a rate limit is retried after its retry-after")
    func cacheAndRetries() async throws {
        let directory = Self.temporary()
        let suite = try EvalSuite(yaml: "providers: [counting]\nprompts: ['{{n}}']\ntests: [{vars: {n: 1}}, {vars: {n: 2}}, {vars: {n: 3}}]", baseDirectory: directory)
        let store = InMemoryStore()
        let calls = Counter()
        let runner = EvalRunner(providers: ["counting": CountingProvider(calls: calls, rateLimited: [1])], store: store)
        let first = try await runner.run(suite, suitePath: "s")
        #expect(first.results.allSatisfy { $0.error == nil && !$0.cached })
        #expect(calls.count == 4)  // one retried
        let second = try await runner.run(suite, suitePath: "s")
        #expect(second.results.allSatisfy { $0.cached })
        #expect(calls.count == 4)
        var fresh = runner
        fresh.useCache = false
        _ = try await fresh.run(suite, suitePath: "s")
        #expect(calls.count == 7)
    }

    @Test("a cancelled run keeps what finished and resumes without re-running it")
    func cancelAndResume() async throws {
        let directory = Self.temporary()
        var yaml = "providers: [slow]\nprompts: ['{{n}}']\ntests:\n"
        for n in 0..<40 { yaml += "  - vars: {n: \(n)}\n" }
        let suite = try EvalSuite(yaml: yaml, baseDirectory: directory)
        let store = InMemoryStore()
        let calls = Counter()
        let slow = FakeLatencyProvider(latency: .milliseconds(30)) { request in _ = calls.next(); return request.prompt }
        var runner = EvalRunner(providers: ["slow": slow], store: store)
        runner.concurrencyPerProvider = 2
        runner.useCache = false
        let started = Counter()
        let configured = runner
        let task = Task { try await configured.run(suite, suitePath: "s", runID: "resumable") }
        while started.count == 0 { if calls.count >= 6 { _ = started.next() } else { try await Task.sleep(for: .milliseconds(5)) } }
        task.cancel()
        let partial = try await task.value
        #expect(partial.status == .cancelled)
        #expect(partial.results.count < 40 && partial.results.count >= 4)
        let stored = try await store.results(runID: "resumable").count
        #expect(stored == partial.results.count)
        let before = calls.count
        let resumed = try await runner.run(suite, suitePath: "s", runID: "resumable", resume: true)
        #expect(resumed.status == .completed && resumed.results.count == 40)
        #expect(calls.count - before == 40 - stored)
        let finalCount = try await store.results(runID: "resumable").count
        #expect(finalCount == 40)
    }
}

/// Counts testcases, failures and suite names in JUnit XML with Foundation's parser.
final class JUnitCount: NSObject, XMLParserDelegate {
    var testcases = 0, failures = 0
    var suites: [String] = []

    static func parse(_ xml: String) throws -> JUnitCount {
        let counter = JUnitCount()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = counter
        guard parser.parse() else { throw parser.parserError ?? EvalSuiteError("invalid XML") }
        return counter
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if name == "testcase" { testcases += 1 }
        if name == "failure" { failures += 1 }
        if name == "testsuite", let suite = attributes["name"] { suites.append(suite) }
    }
}
