import ArgumentParser
import CentaurConfiguration
import CentaurCore
import CentaurRetrieval
import CentaurRuntime
import Foundation

struct MatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "The matching example: find people whose tastes fit a profile's, within a distance (examples/matching).",
        discussion: """
            Hard filters first (distance, each other's age range and gender sought), then hybrid retrieval of the \
            candidates whose answers about books, TV, films and music read most alike, then the model ranks the best \
            five and says why. The model never adds anyone: an id it was not given is dropped and reported.

            Examples:
              centaur match generate --count 2000 --out profiles.jsonl
              centaur index create profiles --input profiles.jsonl --text-fields answer \\
                --metadata-fields \(ProfileGenerator.metadataFields.joined(separator: ",")) --dense
              centaur match p00017 --within-km 25 --candidates 20
              centaur match eval --profiles 200
            """,
        subcommands: [Find.self, Generate.self, Eval.self],
        defaultSubcommand: Find.self)

    static func matcher(_ options: GlobalOptions, index: String) async throws -> Matcher {
        let collection = try await IndexCatalog(library: try IndexCommand.library(options),
                                                embedderDirectory: MiniLMEncoder.defaultDirectory(home: URL(fileURLWithPath: CentaurHome.resolve())))
            .collection(index)
        return Matcher(collection: collection, embedder: collection.dense == nil ? nil : try IndexCommand.encoder(for: collection))
    }

    struct Find: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "find", abstract: "Candidates for a profile, and the model's best five with reasons (the default subcommand).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The profile's id in the index.") var profile: String
        @Option(name: .long, help: ArgumentHelp("The index of profiles.", valueName: "name")) var index = "profiles"
        @Option(name: .customLong("within-km"), help: ArgumentHelp("Only people this close (kilometres).", valueName: "km")) var withinKilometres = 25.0
        @Option(name: .long, help: ArgumentHelp("Candidates retrieved for the model to rank.", valueName: "n")) var candidates = 20
        @Option(name: .long, help: ArgumentHelp("The model or route that ranks (default: the configuration's default model).", valueName: "name"))
        var model: String?
        @Flag(name: .long, help: "Only retrieve candidates; no model call.") var noRank = false
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            guard withinKilometres > 0, candidates >= 1 else { throw ValidationError("--within-km must be positive and --candidates at least 1") }
            let logger = options.bootstrapLogging()
            struct Output: Encodable {
                var profile: String
                var candidates: [RetrievalHit]
                var ranking: MatchExplainer.Ranking?
            }
            let output: Output
            do {
                let matcher = try await MatchCommand.matcher(options, index: index)
                let me = try matcher.profile(profile)
                let hits = try await matcher.candidates(Matcher.Request(profile: profile, withinKilometres: withinKilometres, candidates: candidates))
                var ranking: MatchExplainer.Ranking?
                if !noRank, !hits.isEmpty {
                    let configuration = try ConfigurationLoader().load(path: options.config)
                    let name = model ?? configuration.defaultModel
                    ranking = try await withHTTPClient { client in
                        let runtime = try await CentaurRuntime.open(configuration: configuration, dataDirectory: options.dataDirectory,
                                                                    httpClient: client, environment: options.environment, logger: logger)
                        _ = try runtime.registry.resolve(name)
                        let explainer = MatchExplainer(model: runtime.model(surface: "match"), modelName: name)
                        let documents = hits.compactMap { matcher.collection.documents[$0.id] }
                        return try await runtime.withServices(for: [name]) { try await explainer.rank(me, candidates: documents) }
                    }
                }
                output = Output(profile: profile, candidates: hits, ranking: ranking)
            } catch let error as ValidationError {
                throw error
            } catch {
                throw Self.fail(error)
            }
            if json { return try printJSON(output) }
            guard !output.candidates.isEmpty else {
                print("no one within \(withinKilometres) km fits \(profile)'s and their own age and gender preferences")
                return
            }
            print("\(output.candidates.count) candidates within \(withinKilometres) km, most alike first:")
            for hit in output.candidates {
                let age = hit.metadata["age"].map { "\($0)" } ?? "?", city = hit.metadata["city"].map { "\($0)" } ?? "?"
                print(String(format: "  %2d. %@  %.3f  age %@, %@", hit.rank, hit.id, hit.score, age, city))
            }
            if let ranking = output.ranking {
                print(ranking.fallback ? "\nthe model's ranking was unusable; the first five by retrieval:" : "\nthe model's best \(ranking.picks.count):")
                for (index, pick) in ranking.picks.enumerated() {
                    print("  \(index + 1). \(pick.id)\(pick.reason.isEmpty ? "" : ": \(pick.reason)")")
                }
                if !ranking.invented.isEmpty { print("dropped ids the model invented: \(ranking.invented.joined(separator: ", "))") }
            }
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write synthetic profiles as JSON Lines (deterministic from the seed; every value invented).")
        @Option(name: .long, help: ArgumentHelp("Profiles.", valueName: "n")) var count = 2_000
        @Option(name: .long, help: ArgumentHelp("The seed.", valueName: "n")) var seed: UInt64 = 1
        @Option(name: .long, help: ArgumentHelp("The output file (default: standard output).", valueName: "file")) var out: String?

        func run() throws {
            guard count >= 1 else { throw ValidationError("--count must be at least 1") }
            let lines = ProfileGenerator.generate(count: count, seed: seed).map { JSONValue.object($0).jsonString() }.joined(separator: "\n") + "\n"
            if let out { try lines.write(toFile: out, atomically: true, encoding: .utf8) } else { print(lines, terminator: "") }
        }
    }

    struct Eval: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Candidate recall@K against exhaustive search, over many profiles; exits 1 below --min-recall.",
            discussion: """
                For each profile: the candidates `centaur match` retrieves (the filter language through the indexes) against \
                an exhaustive pass that checks every profile with plain code (haversine distance, ages, genders) and scores \
                all that pass. Every candidate must pass the hard filters, and recall@K must reach --min-recall (1.0).
                """)
        @OptionGroup var options: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("The index of profiles.", valueName: "name")) var index = "profiles"
        @Option(name: .long, help: ArgumentHelp("Profiles evaluated (the first N by id).", valueName: "n")) var profiles = 200
        @Option(name: .customLong("within-km"), help: ArgumentHelp("Distance (kilometres).", valueName: "km")) var withinKilometres = 25.0
        @Option(name: .long, help: ArgumentHelp("K.", valueName: "n")) var candidates = 20
        @Option(name: .long, help: ArgumentHelp("The lowest mean recall that passes.", valueName: "r")) var minRecall = 1.0
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            let report: MatchEvaluation.Report
            do {
                let matcher = try await MatchCommand.matcher(options, index: index)
                report = try await MatchEvaluation.run(matcher, profiles: profiles, withinKilometres: withinKilometres, candidates: candidates)
            } catch { throw Self.fail(error) }
            if json { try printJSON(report) } else {
                print(String(format: "%d profiles, %d with candidates (%.1f on average): recall@%d %.4f (lowest %.4f), candidates failing the hard filters: %d",
                             report.profiles, report.withCandidates, report.meanCandidates, candidates, report.meanRecall, report.minimumRecall, report.filterViolations))
            }
            if report.meanRecall < minRecall || report.filterViolations > 0 { throw ExitCode(1) }
        }
    }
}
