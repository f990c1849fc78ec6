import ArgumentParser
import CentaurCore
import CentaurGuardrails
import Foundation

struct RedactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Find personal data in text on standard input and print the findings or the redacted text.",
        discussion: """
            Types (Presidio's names): \(PIIType.allCases.map(\.rawValue).joined(separator: ", ")).
            Examples:
              echo "Call Jane Roe at 555-867-5309" | centaur redact
              echo "SSN 536-22-1947" | centaur redact --json
              centaur redact --dataset ../shared/data/pii/synth_dataset_v2.json --predictions ours.jsonl
            """)

    @Option(name: .long, help: ArgumentHelp("mask, type (<US_SSN>), hash (<US_SSN:1a2b3c4d>) or tokenize (<PERSON_1>).", valueName: "mode"))
    var mode: String = "type"

    @Flag(name: .long, help: "Print the findings as JSON: [{\"type\", \"start\", \"end\", \"score\", \"text\"}] (offsets in Unicode scalars).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Report only these types (comma-separated).", valueName: "types"))
    var types: String?

    @Option(name: .long, help: ArgumentHelp("Minimum score, 0 to 1.", valueName: "score"))
    var threshold: Double = 0.5

    @Option(name: .long, help: ArgumentHelp("Benchmark mode: a Presidio-research data set (JSON array of {full_text, …}).", valueName: "file"))
    var dataset: String?

    @Option(name: .long, help: ArgumentHelp("With --dataset: write predictions as JSON Lines in the scorer's format.", valueName: "file"))
    var predictions: String?

    @Option(name: .long, help: ArgumentHelp("With --dataset: timed passes over the whole set (the median is reported).", valueName: "n"))
    var repeats: Int = 3

    func detector() throws -> PIIDetector {
        var selected: Set<PIIType>?
        if let types {
            selected = Set(try types.split(separator: ",").map { name in
                guard let type = PIIType(rawValue: name.trimmingCharacters(in: .whitespaces).uppercased()) else {
                    throw CLIFailure(message: "unknown type '\(name)'; use \(PIIType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return type
            })
        }
        guard (0...1).contains(threshold) else { throw CLIFailure(message: "--threshold must be between 0 and 1") }
        return PIIDetector(threshold: threshold, types: selected)
    }

    func run() async throws {
        do {
            let detector = try detector()
            if let dataset { try benchmark(detector, dataset: dataset); return }
            guard let redactionMode = RedactionMode(rawValue: mode) else {
                throw CLIFailure(message: "--mode must be one of \(RedactionMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(detector.findings(in: input)), as: UTF8.self))
            } else {
                print(Redactor(detector: detector, mode: redactionMode).redact(input).text, terminator: input.hasSuffix("\n") ? "" : "\n")
            }
        } catch {
            throw Self.fail(error)
        }
    }

    /// Runs the detector over a labelled set, writes predictions for `bench/presidio/run.py score`, prints throughput.
    func benchmark(_ detector: PIIDetector, dataset: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: dataset)) } catch { throw CLIFailure(message: "cannot read \(dataset)") }
        guard case .array(let records) = try JSONValue(parsing: data) else { throw CLIFailure(message: "\(dataset) is not a JSON array") }
        let texts = records.map { $0["full_text"]?.stringValue ?? "" }
        let started = ContinuousClock.now
        _ = PIILexicon.shared.firstNames.count
        let load = ContinuousClock.now - started
        for text in texts.prefix(100) { _ = detector.findings(in: text) }  // warm-up, as the Presidio baseline does
        var timings: [Double] = []
        var results: [[PIIFinding]] = []
        for _ in 0..<max(1, repeats) {
            let start = ContinuousClock.now
            results = texts.map { detector.findings(in: $0) }
            let elapsed = ContinuousClock.now - start
            timings.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        if let predictions {
            var lines = ""
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for (index, findings) in results.enumerated() {
                let spans: [JSONValue] = findings.map {
                    ["entity_type": .string($0.type.rawValue), "start": .number(Double($0.start)), "end": .number(Double($0.end)), "score": .number($0.score)]
                }
                lines += JSONValue.object(["i": .number(Double(index)), "spans": .array(spans)]).jsonString() + "\n"
            }
            try Data(lines.utf8).write(to: URL(fileURLWithPath: predictions))
        }
        let median = timings.sorted()[timings.count / 2]
        let characters = texts.reduce(0) { $0 + $1.unicodeScalars.count }
        let summary: JSONValue = [
            "records": .number(Double(texts.count)), "median_seconds": .number(median),
            "records_per_second": .number(Double(texts.count) / median), "characters_per_second": .number(Double(characters) / median),
            "lexicon_load_seconds": .number(Double(load.components.seconds) + Double(load.components.attoseconds) / 1e18),
            "repeats": .number(Double(timings.count)),
        ]
        print(summary.jsonString())
    }
}
