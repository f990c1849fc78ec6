import CentaurCore
import CentaurStore
import Foundation

/// One `centaur eval run`, everything but the terminal: the suite's providers and graders made from their ids,
/// a runner configured with them, the configured models the run needs running, and the reports. The command parses
/// arguments, opens the runtime and shows progress; this does the evaluation, so another front end (the web UI, a
/// scheduled job) runs a suite the same way.
public struct EvalSession: Sendable {
    public struct Options: Sendable {
        /// Concurrent cases per provider, and in all.
        public var concurrencyPerProvider = 8
        public var maxConcurrency = 32
        /// Reuse cached answers to unchanged cases.
        public var useCache = true
        /// The provider that grades `llm-rubric` assertions naming none (default: `centaur:DEFAULT_MODEL` when any
        /// such assertion exists).
        public var grader: String?

        public init() {}
    }

    public let suite: EvalSuite
    public private(set) var runner: EvalRunner
    /// The configured model or route names (`centaur:NAME`) the run's providers and graders call.
    public let centaurNames: [String]

    /// - Parameters:
    ///   - defaultModel: the configuration's default model, the grader of last resort.
    public init(suite: EvalSuite, factory: EvalProviderFactory, store: (any EvalStore)?, defaultModel: String, options: Options = Options()) throws {
        self.suite = suite
        var providers: [String: any EvalProvider] = [:]
        for spec in suite.providers { providers[spec.id] = try factory.make(spec) }
        var graders: [String: any EvalProvider] = [:]
        for id in Set(suite.tests.flatMap { $0.assertions.compactMap(\.provider) } + [options.grader].compactMap { $0 }) {
            graders[id] = try factory.make(EvalSuite.ProviderSpec(id: id, label: id, config: [:]))
        }
        var runner = EvalRunner(providers: providers, store: store)
        runner.graders = graders
        let needsGrader = suite.tests.contains { $0.assertions.contains { $0.type == "llm-rubric" && $0.provider == nil } }
        runner.defaultGrader = options.grader ?? (needsGrader ? "centaur:\(defaultModel)" : nil)
        if let fallback = runner.defaultGrader, graders[fallback] == nil, providers[fallback] == nil {
            runner.graders[fallback] = try factory.make(EvalSuite.ProviderSpec(id: fallback, label: fallback, config: [:]))
        }
        runner.concurrencyPerProvider = max(1, options.concurrencyPerProvider)
        runner.maxConcurrency = max(1, options.maxConcurrency)
        runner.useCache = options.useCache
        self.runner = runner
        let ids = suite.providers.map(\.id) + Array(runner.graders.keys)
        centaurNames = Array(Set(ids.filter { $0.hasPrefix("centaur:") }.map { String($0.dropFirst("centaur:".count)) })).sorted()
    }

    /// Called after each case with the cases done and in all.
    public mutating func onProgress(_ progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void) {
        runner.progress = progress
    }

    /// Runs the suite (or, with `resume`, the cases a cancelled run did not finish).
    public func run(suitePath: String, resume runID: String? = nil) async throws -> EvalRun {
        try await runner.run(suite, suitePath: suitePath, runID: runID, resume: runID != nil)
    }

    /// A report in the format a file extension names: `json` (promptfoo's results shape), `xml` (JUnit), `html`.
    public static func report(_ run: EvalRun, format: String) throws -> String {
        switch format.lowercased() {
        case "json": return EvalReports.json(run).jsonString(pretty: true)
        case "xml": return EvalReports.junit(run)
        case "html", "htm": return HTMLReport.render(run)
        default: throw EvalSuiteError("no report format '\(format)': use .json, .xml or .html")
        }
    }

    /// `tests: centaur:dataset:TYPE`: each labelled correction becomes a case whose truth is the human's value,
    /// reading the corrected document from `blobs`.
    public static func datasetTests(_ examples: [LabelledExampleRecord], blobs: FileBlobStore) -> [EvalSuite.TestCase] {
        examples.compactMap { example -> EvalSuite.TestCase? in
            guard let sha = document(of: example) else { return nil }
            let path = blobs.url(for: sha).path
            let human = (try? JSONValue(parsing: example.humanValue)) ?? .null
            return EvalSuite.TestCase(
                description: "\(example.documentType).\(example.field) corrected by \(example.actor)",
                vars: ["document": .string("file://\(path)"), "field": .string(example.field), "expected": [example.field: human]],
                assertions: [EvalSuite.AssertionSpec(type: "fields", value: "{{expected}}")], threshold: nil, repeatCount: nil)
        }
    }

    /// The documents the corrections read, as files (cases name them by path): `blobs` itself when it keeps files,
    /// else copies written under `scratch` (documents kept in PostgreSQL).
    public static func documentFiles(for examples: [LabelledExampleRecord], from blobs: any BlobStore, scratch: URL) async throws -> FileBlobStore {
        if let files = blobs as? FileBlobStore { return files }
        let files = FileBlobStore(root: scratch)
        for sha in Set(examples.compactMap(document(of:))) { try files.write(try await blobs.get(sha), sha256: sha) }
        return files
    }

    /// The SHA-256 of the document a correction was made on.
    static func document(of example: LabelledExampleRecord) -> String? {
        ((try? JSONValue(parsing: example.documents))?.arrayValue ?? []).first?["sha256"]?.stringValue
    }
}
