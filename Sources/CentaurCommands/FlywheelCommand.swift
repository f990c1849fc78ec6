import ArgumentParser
import CentaurConfiguration
import CentaurCore
import CentaurEvals
import CentaurExtraction
import CentaurReview
import CentaurRuntime
import Foundation
import Synchronization

struct FlywheelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flywheel",
        abstract: "The loop from human corrections to a better extractor, measured.",
        subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Snapshot the labelled documents of a type, then measure each model zero-shot and with the nearest labelled examples.",
            discussion: """
                Steps: a dataset version of every confirmed application's document of --type (centaur dataset \\
                snapshot), split by applicant; each --model (default: the configured default) reads every held-out \\
                document's text zero-shot and again with the --k nearest training examples (all-MiniLM-L6-v2 over \\
                the text, never the applicant's own) as worked examples in the prompt; field accuracy overall and \\
                per field with 95 % intervals, tokens, cost and latency; each variant against the first with the \\
                interval of the difference. It recommends a variant only when its gain is significant. Calls go \\
                through the gateway pipeline (surface evals): traced and costed.
                """)
        @OptionGroup var options: WorkflowOptions
        @Option(name: .long, help: ArgumentHelp("The document type (us-drivers-license, form-i9, …).", valueName: "type")) var type: String
        @Option(name: .long, help: ArgumentHelp("A configured model; repeatable (default: the default model).", valueName: "name")) var model: [String] = []
        @Option(name: .long, help: "Labelled examples per prompt.") var k = 3
        @Option(name: .long, help: ArgumentHelp("The share of applicants held out for testing.", valueName: "share")) var testShare = 0.3
        @Option(name: .long, help: ArgumentHelp("Read at most this many held-out documents.", valueName: "n")) var limit: Int?
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the report (.html or .json).", valueName: "file")) var output: [String] = []

        func run() async throws {
            guard k >= 1 else { throw ValidationError("--k is at least 1") }
            guard testShare > 0, testShare < 1 else { throw ValidationError("--test-share is above 0 and below 1 (0.3 holds 30 % out)") }
            do {
                let documentType = try DocumentType.named(type)
                let rows = try await options.service().datasetRows(documentType: type)
                guard !rows.isEmpty else { throw CLIFailure(message: "no confirmed application has a \(type) document yet: nothing to learn from") }
                let library = DatasetCommand.library(options.global)
                let (manifest, _) = try library.snapshot(rows, documentType: type, testShare: testShare)
                let stored = try library.rows(manifest.id)
                let pool = stored.filter { $0.split == "train" }.compactMap { row in
                    row.text.map { FewShotExample(subject: row.subject, documentType: type, text: $0, answer: .object(row.fields)) }
                }
                var cases = stored.filter { $0.split == "test" }.compactMap { row in row.text.map { FlywheelCase(subject: row.subject, text: $0, truth: row.fields) } }
                if let limit { cases = Array(cases.prefix(limit)) }
                guard !pool.isEmpty, !cases.isEmpty else {
                    throw CLIFailure(message: "dataset \(manifest.id) has \(pool.count) training and \(cases.count) held-out documents with text: "
                        + "both need at least one (more confirmed applications, or another --test-share)")
                }
                FileHandle.standardError.write(Data("dataset \(manifest.id): \(pool.count) examples to draw from, \(cases.count) held out\n".utf8))
                let encoder = try IndexCommand.encoder()
                let configuration = try ConfigurationLoader().load(path: options.global.config)
                let names = model.isEmpty ? [configuration.defaultModel] : model
                let k = k
                let heldOut = cases
                let report = try await withHTTPClient { client in
                    let runtime = try await CentaurRuntime.open(configuration: configuration, dataDirectory: options.global.dataDirectory,
                                                                httpClient: client, environment: options.global.environment,
                                                                logger: options.global.bootstrapLogging())
                    var variants: [FlywheelVariant] = []
                    let selector = NearestExamples(pool, k: k, embedder: encoder)
                    for name in names {
                        var extractor = try runtime.modelExtractor(name, surface: .evals)
                        variants.append(FlywheelVariant(name: "\(name) zero-shot", extractor: extractor))
                        extractor.fewShot = selector
                        variants.append(FlywheelVariant(name: "\(name) \(selector.label)", extractor: extractor))
                    }
                    let bar = ProgressBar(enabled: true)
                    let total = variants.count * heldOut.count
                    let done = Counter()
                    let compared = variants
                    return try await runtime.withServices(for: names) {
                        try await FlywheelEvaluation.run(type: documentType, cases: heldOut, variants: compared, dataset: manifest.id,
                                                         trainExamples: pool.count) { _ in bar.update(done.next(), total) }
                    }
                }
                print(report.text)
                for path in output {
                    let url = URL(fileURLWithPath: path)
                    let text: String
                    switch url.pathExtension {
                    case "html": text = report.html
                    case "json":
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                        text = String(decoding: try encoder.encode(report), as: UTF8.self)
                    default: throw CLIFailure(message: "--output \(path): use .html or .json")
                    }
                    try writeOutput(text, to: path)
                    FileHandle.standardError.write(Data("wrote \(path)\n".utf8))
                }
            } catch { throw Self.fail(error) }
        }
    }
}

/// A thread-safe count for progress callbacks.
final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
