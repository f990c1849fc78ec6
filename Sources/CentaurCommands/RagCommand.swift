import ArgumentParser
import CentaurConfiguration
import CentaurCore
import CentaurRetrieval
import CentaurRuntime
import Foundation

struct RagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rag",
        abstract: "Answer questions from a retrieval index, with citations checked against the passages retrieved.",
        subcommands: [Ask.self])

    struct Ask: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retrieve passages from an index and answer from them only, citing them; \"not found\" when they do not answer.",
            discussion: """
                The model call goes through Centaur's one pipeline (traced, costed, budgeted, and the data policy applies to \
                the passages like any content). Exit 0 with a grounded answer, 3 when nothing was found, 4 when the answer \
                cites nothing or cites a passage it was not given.

                Examples:
                  centaur rag ask papers "What did vitamin D do to bone density?"
                  centaur rag ask papers "Do statins cause muscle pain?" --mode hybrid --filter "year>=2015" --json
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The index's name.") var index: String
        @Argument(help: "The question.") var question: String
        @Option(name: .long, help: ArgumentHelp("The model or route that answers (default: the configuration's default model).", valueName: "name"))
        var model: String?
        @Option(name: .long, help: ArgumentHelp("lexical, dense or hybrid (default: hybrid for an index with embeddings).", valueName: "mode"))
        var mode: String?
        @Option(name: .long, help: ArgumentHelp("Passages retrieved.", valueName: "k")) var top = 8
        @Option(name: .long, help: ArgumentHelp("Metadata conditions, as in index search.", valueName: "expr")) var filter: String?
        @Option(name: .long, help: ArgumentHelp("Tokens of passages the prompt may hold.", valueName: "n")) var contextTokens = 1_500
        @Flag(name: .long, help: "Print the answer, its citations and sources as JSON.") var json = false

        func run() async throws {
            guard top >= 1, contextTokens >= 50 else { throw ValidationError("--top must be at least 1 and --context-tokens at least 50") }
            let logger = options.bootstrapLogging()
            let answer: GroundedAnswer
            do {
                let configuration = try ConfigurationLoader().load(path: options.config)
                let catalog = IndexCatalog(library: try IndexCommand.library(options),
                                           embedderDirectory: MiniLMEncoder.defaultDirectory(home: URL(fileURLWithPath: CentaurHome.resolve())))
                let collection = try await catalog.collection(index)
                var query = RetrievalQuery(text: question, top: top, filter: try filter.map(RetrievalFilter.parse))
                if let mode {
                    guard let parsed = RetrievalMode(rawValue: mode) else { throw ValidationError("--mode is lexical, dense or hybrid") }
                    query.mode = parsed
                } else {
                    query.mode = collection.dense == nil ? .lexical : .hybrid
                }
                let hits = try await catalog.search(index, query)
                let name = model ?? configuration.defaultModel
                answer = try await withHTTPClient { client in
                    let runtime = try await CentaurRuntime.open(configuration: configuration, dataDirectory: options.dataDirectory,
                                                                httpClient: client, environment: options.environment, logger: logger)
                    _ = try runtime.registry.resolve(name)
                    let answerer = GroundedAnswerer(model: runtime.model(surface: .cli), modelName: name, contextTokens: contextTokens)
                    return try await runtime.withServices(for: [name]) { try await answerer.answer(question, hits: hits) }
                }
            } catch let error as ValidationError {
                throw error
            } catch {
                throw Self.fail(error)
            }
            if json {
                try printJSON(answer)
            } else {
                print(answer.answer)
                if answer.found {
                    let marks = answer.citations.map { "\($0.id)\($0.verified ? "" : " (not among the sources: invented)")" }
                    print("\ncitations: \(marks.isEmpty ? "none (the answer cites no source)" : marks.joined(separator: ", "))")
                }
                print("sources: \(answer.sources.isEmpty ? "no passage matched" : answer.sources.joined(separator: ", "))")
            }
            if !answer.found { throw ExitCode(3) }
            if !answer.grounded { throw ExitCode(4) }
        }
    }
}
