import ArgumentParser
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import Foundation

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Measure the semantic cache before turning it on.",
        subcommands: [Evaluate.self])

    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate near-duplicate prompt pairs and report, per similarity threshold, how often a semantic cache would serve a wrong answer.",
            discussion: """
                Half the pairs need different answers ("the capital of France" / "of Germany", "miles to kilometres" / \
                "kilometres to miles", ascending / descending order): a cache that serves one for the other answers \
                wrongly (a false hit). The other half are paraphrases that one answer serves (true hits). Pick the lowest \
                threshold whose false-hit rate you can live with, and set it as cache.semantic.threshold. The last two columns \
                are with cache.semantic.match_literals (the default): a hit also needs the same numbers and quoted text.

                Examples:
                  centaur cache evaluate
                  centaur cache evaluate --embedding small --pairs 2000 --thresholds 0.9,0.95,0.98 --json
                  centaur cache evaluate --write-pairs pairs.jsonl
                """)
        @OptionGroup var options: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("The embedding model (default: the native all-minilm-l6-v2).", valueName: "name"))
        var embedding = EmbeddingModelConfiguration.nativeMiniLM.name
        @Option(name: .long, help: ArgumentHelp("Pairs generated.", valueName: "n")) var pairs = 1_000
        @Option(name: .long, help: ArgumentHelp("The generator's seed (the same seed gives the same pairs).", valueName: "n")) var seed: UInt64 = 42
        @Option(name: .long, help: ArgumentHelp("Comma-separated cosine thresholds.", valueName: "list"))
        var thresholds = "0.80,0.85,0.90,0.92,0.94,0.95,0.96,0.97,0.98,0.99"
        @Option(name: .long, help: ArgumentHelp("Also write the pairs with their similarity as JSON lines.", valueName: "file")) var writePairs: String?
        @Flag(name: .long, help: "Print the rates as JSON.") var json = false

        func run() async throws {
            let cuts = thresholds.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !cuts.isEmpty, cuts.allSatisfy({ $0 > 0 && $0 <= 1 }) else { throw ValidationError("--thresholds is a comma-separated list of numbers in (0, 1]") }
            guard pairs >= 2 else { throw ValidationError("--pairs must be at least 2") }
            _ = options.bootstrapLogging()
            let configuration = try ConfigurationLoader().load(path: options.config)
            let generated = NearDuplicatePairs.generate(count: pairs, seed: seed)
            let (similarities, rates, guarded): ([Double], [NearDuplicatePairs.Rates], [NearDuplicatePairs.Rates]) = try await withHTTPClient { client in
                let registry = EmbeddingRegistry(
                    configuration: configuration, httpClient: client,
                    nativeDirectory: EmbeddingRegistry.nativeDirectory(home: URL(fileURLWithPath: CentaurHome.resolve(environment: options.environment))),
                    environment: options.environment)
                let model: ResolvedEmbeddingModel
                do { model = try registry.resolve(embedding) } catch let error as ModelError { throw ValidationError(error.message) }
                FileHandle.standardError.write(Data("embedding \(generated.count) pairs with \(embedding)…\n".utf8))
                let similarities = try await NearDuplicatePairs.similarities(generated, model: model.model)
                return (similarities, NearDuplicatePairs.rates(generated, similarities: similarities, thresholds: cuts),
                        NearDuplicatePairs.rates(generated, similarities: similarities, thresholds: cuts, matchLiterals: true))
            }
            if let writePairs {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                var lines = ""
                for (pair, similarity) in zip(generated, similarities) {
                    guard case .object(var fields) = try JSONValue(parsing: encoder.encode(pair)) else { continue }
                    fields["similarity"] = .number((similarity * 10_000).rounded() / 10_000)
                    lines += JSONValue.object(fields).jsonString() + "\n"
                }
                try lines.write(toFile: writePairs, atomically: true, encoding: .utf8)
            }
            if json { return try printJSON(["embedding": .string(embedding), "pairs": .number(Double(generated.count)),
                                            "rates": try JSONValue(parsing: JSONEncoder().encode(rates)),
                                            "rates_matching_literals": try JSONValue(parsing: JSONEncoder().encode(guarded))] as JSONValue) }
            let different = generated.filter { !$0.sameAnswer }.count
            print("\(generated.count) pairs (\(different) needing different answers, \(generated.count - different) paraphrases), embedding \(embedding)\n")
            print("threshold  false hits  paraphrase hits  worst family          false hits, literals matched  paraphrase hits")
            for (rate, guardedRate) in zip(rates, guarded) {
                let worst = rate.worstFamily.map { "\($0) \(Self.percent(rate.worstFamilyRate))" } ?? "-"
                print("\(String(format: "%.2f", rate.threshold).padding(toLength: 11, withPad: " ", startingAt: 0))"
                      + "\(Self.percent(rate.falseHitRate).padding(toLength: 12, withPad: " ", startingAt: 0))"
                      + "\(Self.percent(rate.paraphraseHitRate).padding(toLength: 17, withPad: " ", startingAt: 0))\(worst.padding(toLength: 22, withPad: " ", startingAt: 0))"
                      + "\(Self.percent(guardedRate.falseHitRate).padding(toLength: 30, withPad: " ", startingAt: 0))\(Self.percent(guardedRate.paraphraseHitRate))")
            }
        }

        static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
    }
}
