import ArgumentParser
import CentaurConfiguration
import CentaurEvals
import CentaurStore
import Foundation

struct ExperimentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments",
        abstract: "How a function's variants are doing (functions: in centaur.yaml), from their traces.",
        subcommands: [Status.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per variant: requests, success rate, cost and latency with 95 % intervals, and each variant against the baseline.",
            discussion: """
                Reads the traces tagged with the function (every call by the function's name is). A difference whose \
                interval excludes 0 is marked significant. Requests count once however many attempts they took.
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The function's name.") var function: String
        @Option(name: .long, help: ArgumentHelp("The variant the others are compared with (default: the first by name).", valueName: "variant"))
        var baseline: String?
        @Option(name: .long, help: ArgumentHelp("Only traces of the last N days.", valueName: "days")) var days: Double?

        func run() async throws {
            do {
                let configuration = try ConfigurationLoader().load(path: options.config)
                if configuration.functions[function] == nil {
                    let known = configuration.functions.keys.sorted()
                    FileHandle.standardError.write(Data(("no function \(function) in the configuration"
                        + (known.isEmpty ? "" : " (configured: \(known.joined(separator: ", ")))") + "; reading its traces anyway\n").utf8))
                }
                let traces = try options.stores().traces
                var query = TraceQuery(tag: ("function", function), limit: 1_000)
                if let days { query.from = Date().addingTimeInterval(-days * 86_400) }
                var all: [TraceRecord] = []
                while true {
                    let page = try await traces.traces(query)
                    all += page.traces
                    guard let next = page.nextCursor else { break }
                    query.cursor = next
                }
                let report = ExperimentReport.make(function: function, traces: all, baseline: baseline)
                if let baseline, !report.variants.contains(where: { $0.variant == baseline }) {
                    throw CLIFailure(message: "no traces of variant \(baseline) (variants seen: \(report.variants.map(\.variant).joined(separator: ", ")))")
                }
                print(report.text)
            } catch { throw Self.fail(error) }
        }
    }
}
