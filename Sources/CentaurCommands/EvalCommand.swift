import ArgumentParser
import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurEvals
import CentaurGateway
import CentaurRuntime
import CentaurStore
import Foundation
import Logging
import Synchronization

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run eval suites (promptfoo's format), compare runs, measure the runner.",
        subcommands: [Run.self, Compare.self, List.self, Bench.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a suite against its providers and write reports.",
            discussion: """
                Providers: openai:chat:MODEL, anthropic:messages:MODEL (keys from OPENAI_API_KEY / ANTHROPIC_API_KEY or \
                config.apiKey; config.apiBaseUrl for other servers), centaur:ALIAS (a model in centaur.yaml), \
                centaur:extract (the offline document extractors), echo. Each --output's extension picks its format: \
                .json (promptfoo's results shape), .xml (JUnit), .html (a self-contained report with charts). \
                Exit status: 0 when every case passed, 100 when some failed (as promptfoo), 1 on errors. \
                Ctrl-C stops the run and keeps what finished: continue with --resume RUN_ID.
                """)

        @OptionGroup var options: GlobalOptions
        @Argument(help: "The suite file (YAML).") var suite: String
        @Option(name: .shortAndLong, help: ArgumentHelp("Write a report; repeatable (.json, .xml, .html).", valueName: "file")) var output: [String] = []
        @Option(name: .long, help: "Concurrent cases per provider.") var concurrency: Int = 8
        @Option(name: .long, help: "Concurrent cases in all.") var maxConcurrency: Int = 32
        @Option(name: .long, help: "Run every case this many times (overrides the suite's repeat).") var `repeat`: Int?
        @Flag(name: .long, help: "Ask every provider again instead of reusing cached answers.") var noCache = false
        @Option(name: .long, help: ArgumentHelp("Continue a run, skipping its finished cases.", valueName: "run-id")) var resume: String?
        @Option(name: .long, help: ArgumentHelp("Provider that grades llm-rubric assertions naming none.", valueName: "id")) var grader: String?
        @Flag(name: .long, help: "No progress output.") var quiet = false

        func run() async throws {
            var mutableLogger = options.bootstrapLogging()
            mutableLogger.logLevel = .warning
            let logger = mutableLogger
            let dataDir = options.dataDirectory
            do {
                let stores = try options.stores()
                let store = stores.evals
                // Labelled corrections for `centaur:dataset:TYPE` sources, read before the suite is parsed.
                let examples = try await stores.examples.examples(documentType: nil)
                let corrections = Dictionary(grouping: examples, by: \.documentType)
                let blobs = try await EvalSession.documentFiles(for: examples, from: stores.blobs,
                                                                scratch: URL(fileURLWithPath: dataDir).appendingPathComponent("eval-documents"))
                var suiteValue = try EvalSuite.load(path: suite) { type in EvalSession.datasetTests(corrections[type] ?? [], blobs: blobs) }
                if let count = `repeat` { suiteValue.repeatCount = max(1, count); suiteValue.tests = suiteValue.tests.map { var t = $0; t.repeatCount = nil; return t } }
                let configured = suiteValue
                let configuration = try ConfigurationLoader().load(path: options.config)
                let quiet = quiet
                let outputs = output
                let resume = resume
                let suitePath = suite
                var sessionOptions = EvalSession.Options()
                sessionOptions.concurrencyPerProvider = concurrency
                sessionOptions.maxConcurrency = maxConcurrency
                sessionOptions.useCache = !noCache
                sessionOptions.grader = grader
                let status: Int32 = try await withHTTPClient { client in
                    // `centaur:NAME` providers call through the one pipeline: traced (surface `evals`), costed, guarded.
                    let runtime = try await CentaurRuntime.open(configuration: configuration, dataDirectory: dataDir, stores: stores, httpClient: client, logger: logger)
                    var factory = EvalProviderFactory(registry: runtime.registry, pipeline: runtime.model(surface: .evals), httpClient: client,
                                                      environment: options.environment)
                    factory.retrievalLibrary = stores.retrievalLibrary(dataDirectory: dataDir)
                    var session = try EvalSession(suite: configured, factory: factory, store: store, defaultModel: configuration.defaultModel, options: sessionOptions)
                    let bar = ProgressBar(enabled: !quiet)
                    session.onProgress { done, total in bar.update(done, total) }
                    // Local models named by the suite (or the grader) run for the whole evaluation.
                    let localNames = session.centaurNames.filter { runtime.registry.localServer(for: $0) != nil }
                    let configuredSession = session
                    let run = try await runtime.withServices(for: localNames) {
                        try await Self.cancellable { try await configuredSession.run(suitePath: suitePath, resume: resume) }
                    }
                    bar.finish()
                    print(EvalReports.table(run))
                    print("run: \(run.id)")
                    for path in outputs { try Self.write(run, to: path) }
                    let failures = run.results.filter { !$0.success }.count
                    let resume = run.status == .cancelled ? "; continue with --resume \(run.id)" : ""
                    FileHandle.standardError.write(Data("run \(run.id): \(run.results.count - failures)/\(run.results.count) passed (\(run.status.rawValue))\(resume)\n".utf8))
                    return failures == 0 ? 0 : 100
                }
                if status != 0 { throw ExitCode(status) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                throw Self.fail(error)
            }
        }

        /// Runs `body` in a task that Ctrl-C cancels.
        static func cancellable<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
            let task = Task { try await body() }
            signal(SIGINT, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nstopping: finishing the cases in flight…\n".utf8))
                task.cancel()
            }
            source.resume()
            defer { source.cancel(); signal(SIGINT, SIG_DFL) }
            return try await task.value
        }

        static func write(_ run: EvalRun, to path: String) throws {
            let url = URL(fileURLWithPath: path)
            let text: String
            do { text = try EvalSession.report(run, format: url.pathExtension) } catch { throw CLIFailure(message: "--output \(path): use .json, .xml or .html") }
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
            FileHandle.standardError.write(Data("wrote \(path)\n".utf8))
        }
    }

    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two runs of one suite; exit 1 when the pass rate overall, of any provider or any case, or any field's accuracy, drops too far.",
            discussion: """
                Each measure is gated on its own: a provider falling from 100 % to 0 % fails even when the overall rate \
                hides it, and so does one case that passed and now fails (with the default --max-drop 0). Field \
                accuracy comes from the `fields` assertions of extraction suites. Runs of different suites are refused.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The baseline run id (centaur eval list).") var baseline: String
        @Argument(help: "The new run id.") var candidate: String
        @Option(name: .long, help: "Largest allowed drop of any rate, 0 to 1 (default 0: any drop fails).") var maxDrop: Double = 0

        func run() async throws {
            guard (0...1).contains(maxDrop) else { throw ValidationError("--max-drop is between 0 and 1 (0.02 allows two points)") }
            let report: EvalComparison
            do {
                let store = try options.stores().evals
                report = try await EvalComparison.compare(store: store, baseline: baseline, candidate: candidate)
            } catch { throw Self.fail(error) }
            print(report.text)
            let violations = report.violations(maxDrop: maxDrop)
            guard violations.isEmpty else {
                var message = String(format: "%d measures dropped by more than %.1f points:\n", violations.count, maxDrop * 100)
                for change in violations.prefix(20) {
                    message += String(format: "  %@: %.1f%% → %.1f%% (%+.1f)\n", change.subject, change.baseline * 100, change.candidate * 100,
                                      -change.drop * 100)
                }
                FileHandle.standardError.write(Data(message.utf8))
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent runs.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            do {
                let store = try options.stores().evals
                for run in try await store.runs(limit: 50) {
                    let results = try await store.results(runID: run.id)
                    let passed = results.filter(\.success).count
                    print("\(run.id)  \(ISO8601DateFormatter().string(from: run.startedAt))  \(run.status.rawValue)  \(passed)/\(results.count) passed  "
                          + "\(run.suite)  \(run.description)")
                }
            } catch { throw Self.fail(error) }
        }
    }

    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the runner: cases × models against fake models with a fixed latency; prints wall time against the ideal and peak memory.")
        @Option(name: .long, help: "Cases.") var cases: Int = 1000
        @Option(name: .long, help: "Models.") var models: Int = 3
        @Option(name: .long, help: "Each fake call's latency in milliseconds.") var latencyMs: Int = 20
        @Option(name: .long, help: "Concurrent cases in all.") var concurrency: Int = 32
        @Option(name: .long, help: ArgumentHelp("Store results in this data directory (default: a temporary one).", valueName: "dir")) var dataDir: String?

        func run() async throws {
            let directory = dataDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("centaur-eval-bench-\(UUID().uuidString)").path
            let store = try Stores.open(dataDirectory: directory).evals
            var yaml = "description: runner benchmark\nprompts: ['Echo {{n}}']\nproviders: [\((0..<models).map { "fake-\($0)" }.joined(separator: ", "))]\ntests:\n"
            for n in 0..<cases { yaml += "  - vars: { n: \(n) }\n    assert: [{ type: contains, value: '\(n)' }]\n" }
            let suite = try EvalSuite(yaml: yaml, baseDirectory: URL(fileURLWithPath: directory))
            var providers: [String: any EvalProvider] = [:]
            for m in 0..<models { providers["fake-\(m)"] = FakeLatencyProvider(latency: .milliseconds(latencyMs)) }
            var runner = EvalRunner(providers: providers, store: store)
            runner.concurrencyPerProvider = concurrency
            runner.maxConcurrency = concurrency
            runner.useCache = false
            let start = ContinuousClock.now
            let run = try await runner.run(suite, suitePath: "bench")
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let ideal = Double(cases * models * latencyMs) / 1000 / Double(concurrency)
            var usage = rusage()
            #if os(Linux)
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            #else
            getrusage(RUSAGE_SELF, &usage)
            #endif
            let result: JSONValue = [
                "cases": .number(Double(cases)), "models": .number(Double(models)), "latency_ms": .number(Double(latencyMs)),
                "concurrency": .number(Double(concurrency)), "results": .number(Double(run.results.count)),
                "passed": .number(Double(run.results.filter(\.success).count)), "wall_seconds": .number(seconds),
                "ideal_seconds": .number(ideal), "ratio_to_ideal": .number(seconds / ideal),
                "peak_rss_mb": .number(Double(usage.ru_maxrss) / 1024), "stored": .number(Double(try await store.results(runID: run.id).count)),
            ]
            print(result.jsonString())
        }
    }
}

/// A progress bar on a terminal (one updating line), plain lines every 10% otherwise.
final class ProgressBar: Sendable {
    private let enabled: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private let drawn = Mutex((decile: -1, at: Date.distantPast))

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let terminal = terminal
        drawn.withLock { drawn in
            if terminal {
                guard Date().timeIntervalSince(drawn.at) > 0.1 || done == total else { return }
                drawn.at = Date()
                let width = 30
                let filled = width * done / total
                FileHandle.standardError.write(Data("\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total) cases".utf8))
            } else {
                let decile = done * 10 / total
                if decile != drawn.decile { drawn.decile = decile; FileHandle.standardError.write(Data("\(done)/\(total) cases\n".utf8)) }
            }
        }
    }

    func finish() {
        if enabled, terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
