import ArgumentParser
import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurExtraction
import CentaurGateway
import CentaurRules
import CentaurRuntime
import Foundation
import Logging

/// Options shared by `extract` and `rules check`: how documents are read.
struct ExtractionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Document type for every file: us-drivers-license, form-i9, pay-stub or bank-statement (default: detected per file).", valueName: "type"))
    var type: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Model to read documents with (default: the configuration's default_model).", valueName: "name"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp(
        "When to ask the model: never, when-needed (no barcode or form fields found) or always. Default: always with --model, else when-needed.",
        valueName: "when"))
    var modelUse: String?

    @Flag(name: .long, help: "Do not print progress on standard error.")
    var quiet = false

    func resolvedModelUse() throws -> DocumentPipeline.ModelUse {
        guard let modelUse else { return model == nil ? .whenNeeded : .always }
        guard let use = DocumentPipeline.ModelUse(rawValue: modelUse) else {
            throw CLIFailure(message: "--model-use must be never, when-needed or always (got \"\(modelUse)\")")
        }
        return use
    }

    func progress(_ line: String) {
        if !quiet { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
    }

    /// Extracts the files: deterministic sources first, then the model for the files that need it
    /// (the local model is started only when some file does).
    func extract(_ paths: [String], global: GlobalOptions, logger: Logger) async throws -> [ReconciledDocument] {
        guard !paths.isEmpty else { throw CLIFailure(message: "give at least one document file") }
        let givenType: DocumentType? = try type.map { name in
            do { return try DocumentType.named(name) } catch { throw CLIFailure(message: "\(error)") }
        }
        let use = try resolvedModelUse()
        var documents: [Document] = []
        for path in paths {
            do { documents.append(try Document(contentsOf: URL(fileURLWithPath: path))) } catch { throw CLIFailure(message: error.description) }
        }
        let pipeline = DocumentPipeline(model: nil, modelUse: .never, logger: logger)
        var perDocument: [[Extraction]] = []
        for document in documents {
            progress("reading \(document.summary)")
            perDocument.append(try await pipeline.extract(document, as: givenType) { line in progress(line) })
        }
        // A file with no readable text is never given to a model: it could only imagine the values.
        let needing = perDocument.indices.filter { index in
            let text = perDocument[index].first { $0.source == "text" }?.text ?? ""
            guard TextGrounding(text: text).isReadable else { return false }
            return use == .always || (use == .whenNeeded && !perDocument[index].contains { !$0.fields.isEmpty && $0.source != "text" })
        }
        if !needing.isEmpty {
            let configuration = try ConfigurationLoader().load(path: global.config)
            let name = model ?? configuration.defaultModel
            try await withHTTPClient { client in
                // Through the one pipeline: each model call is traced, costed and checked by the data policy.
                let runtime = try await CentaurRuntime.open(configuration: configuration, dataDirectory: global.dataDirectory,
                                                            httpClient: client, environment: global.environment, logger: logger)
                if runtime.registry.localServer(for: name) != nil { progress("starting the local model…") }
                let extractor = try runtime.modelExtractor(name)
                let added = try await runtime.withServices(for: [name]) { [perDocument, documents] in
                    var added: [Int: Extraction] = [:]
                    for index in needing {
                        guard let typeID = perDocument[index].first?.documentType, let type = try? DocumentType.named(typeID) else { continue }
                        progress("\(documents[index].name): asking \(name)")
                        let text = perDocument[index].first { $0.source == "text" }?.text
                        if let extraction = try await extractor.extract(documents[index], as: type, text: text) { added[index] = extraction }
                    }
                    return added
                }
                for (index, extraction) in added { perDocument[index].append(extraction) }
            }
        }
        return DocumentPipeline.reconcile(perDocument)
    }
}

struct ExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract the fields of identity and financial documents (PNG, JPEG, PDF).",
        discussion: """
            Each file's type is detected unless --type is given; files of one type are merged (a licence's \
            front and back). Independent sources are read and compared field by field: the licence's PDF417 \
            barcode, a PDF's form fields, the printed words by position, and a model (asked when no barcode \
            or form fields are found, or always with --model). Every value names its source; fields the \
            sources disagree on are listed with every value.

            --json prints {"type", "documents", "fields", "provenance", "disagreements", "usage", "cost", \
            "attempts", "text", "notes"} for one document type, or an array of them for several.

            A model's value counts only where the file's own text shows it or a deterministic source agrees; \
            other model values are listed as ungrounded and not used. A file with no readable text is not \
            given to a model. Unreadable or invalid barcodes are listed as findings.

            Exit status: 0 when some value was read, 3 when nothing trustworthy was read (a blank photo, a \
            barcode that is not a licence's), 1 on other errors.

            Needs the Debian tools tesseract-ocr, poppler-utils, qpdf and zxing-cpp-tools (scripts/setup-system).

            Examples:
              centaur extract licence-front.png licence-back.png
              centaur extract --json i9.pdf
              centaur extract --type pay-stub --model claude scan.jpg
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var extraction: ExtractionOptions

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    @Argument(help: "Document files (PNG, JPEG, PDF).")
    var files: [String] = []

    func run() async throws {
        // Ctrl-C or SIGTERM stops the document tools and removes their scratch files before exiting.
        SubprocessCleanup.installSignalHandlers()
        let logger = options.bootstrapLogging()
        do {
            let results = try await extraction.extract(files, global: options, logger: logger)
            if json {
                let values = try results.map { try Self.json(of: $0) }
                print((values.count == 1 ? values[0] : .array(values)).jsonString(pretty: true))
            } else {
                for result in results { print(Self.table(of: result)) }
            }
            if !results.contains(where: \.hasTrustworthyValues) {
                FileHandle.standardError.write(Data("centaur: nothing trustworthy was read from these files (see the findings)\n".utf8))
                throw ExitCode(Self.nothingTrustworthy)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw Self.fail(error)
        }
    }

    /// The exit status when no file gave a value that counts (no barcode, form field, layout or grounded model value).
    static let nothingTrustworthy: Int32 = 3

    static func json(of result: ReconciledDocument) throws -> JSONValue {
        try JSONValue(encoding: result)
    }

    static func table(of result: ReconciledDocument) -> String {
        var lines = ["\(result.documentType) (\(result.documents.joined(separator: ", ")))"]
        let type = try? DocumentType.named(result.documentType)
        let width = (type?.fields.map(\.name.count).max() ?? 20) + 2
        let disagreeing = Set(result.disagreements.map(\.field))
        for field in type?.fields ?? [] {
            guard let value = result.fields[field.name] else { continue }
            let sources = (result.provenance[field.name] ?? []).map(\.source)
            let shown = value.stringValue ?? value.jsonString()
            let mark = disagreeing.contains(field.name) ? "  ⚠ sources disagree" : ""
            lines.append("  " + field.name.padding(toLength: width, withPad: " ", startingAt: 0) + shown + "   [" + sources.joined(separator: ", ") + "]" + mark)
        }
        if result.fields.isEmpty { lines.append("  (no trustworthy field found)") }
        for finding in result.findings { lines.append("  finding: \(finding.code.rawValue): \(finding.message)") }
        for value in result.ungrounded {
            lines.append("  ungrounded (not in the document's text, not used): \(value.field) = \(value.value.stringValue ?? value.value.jsonString()) [\(value.source)]")
        }
        for disagreement in result.disagreements {
            let values = disagreement.values.map { v in "\(v.source): \(v.value.stringValue ?? v.value.jsonString())\(v.note.map { " (\($0))" } ?? "")" }
            lines.append("  disagreement on \(disagreement.field): " + values.joined(separator: "; "))
        }
        for note in result.notes { lines.append("  note: \(note)") }
        if !result.attempts.isEmpty {
            let cost = result.cost.map { String(format: "$%.6f", $0) } ?? "unknown cost"
            lines.append("  model: \(result.attempts.count) call(s), \(result.usage.inputTokens) input + \(result.usage.outputTokens) output tokens, \(cost)")
        }
        return lines.joined(separator: "\n")
    }
}

struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check one applicant's documents against rule sets.",
        subcommands: [RulesCheckCommand.self, RulesListCommand.self, RulesPolicyCommand.self])
}

struct RulesCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Extract one applicant's documents and run the rules over them.",
        discussion: """
            FILEs are documents (PNG, JPEG, PDF) or JSON written by `centaur extract --json`. The rule sets \
            default to the documents': driver-onboarding for a licence or I-9, mortgage for a pay stub or \
            bank statement. --rules takes a built-in name or a YAML file (see docs/extraction.md).

            Prints the rules that fired with their severity and the values they read. Exit status: 0, or \
            with --fail-on review|block, 2 when a rule of that severity or worse fired.

            Examples:
              centaur rules check licence-back.png i9.pdf --market-state IL
              centaur rules check --json --today 2026-11-23 i9.pdf
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var extraction: ExtractionOptions

    @Option(name: .long, help: ArgumentHelp("Rule set: a built-in name (driver-onboarding, mortgage) or a YAML file; repeatable.", valueName: "name|file"))
    var rules: [String] = []

    @Option(name: .long, help: ArgumentHelp("Review date, yyyy-mm-dd (default: today, UTC).", valueName: "date"))
    var today: String?

    @Option(name: .long, help: ArgumentHelp("State the applicant will drive in (in-state licence rule).", valueName: "XX"))
    var marketState: String?

    @Option(name: .long, help: ArgumentHelp("Minimum driver age in this market.", valueName: "years"))
    var minimumAge: Int = 21

    @Option(name: .long, help: ArgumentHelp("Exit with status 2 when a rule of this severity or worse fires: review or block.", valueName: "severity"))
    var failOn: String?

    @Flag(name: .long, help: "Print JSON: {\"rule_sets\", \"today\", \"fired\", \"results\", \"documents\"}.")
    var json = false

    @Argument(help: "Document files, or JSON from `centaur extract --json`.")
    var files: [String] = []

    func run() async throws {
        let logger = options.bootstrapLogging()
        do {
            let failSeverity: RuleSeverity? = try failOn.map { name in
                guard let severity = RuleSeverity(rawValue: name), severity != .info else {
                    throw CLIFailure(message: "--fail-on must be review or block")
                }
                return severity
            }
            let date = today ?? Self.todayUTC()
            guard Normalizer.isoDate(date) == date else { throw CLIFailure(message: "--today must be a date as yyyy-mm-dd (got \"\(date)\")") }
            let jsonFiles = files.filter { $0.hasSuffix(".json") }
            var documents = try jsonFiles.flatMap(Self.loadExtraction)
            let documentFiles = files.filter { !$0.hasSuffix(".json") }
            if !documentFiles.isEmpty { documents += try await extraction.extract(documentFiles, global: options, logger: logger) }
            guard !documents.isEmpty else { throw CLIFailure(message: "give at least one document or extraction JSON file") }

            let sets = try ruleSets(for: documents)
            let facts = RuleFacts(documents: documents, today: date, marketState: marketState?.uppercased(), minimumAge: minimumAge)
            var results: [(RuleSet, [RuleResult])] = []
            for set in sets { results.append((set, set.evaluate(facts))) }
            let fired = results.flatMap(\.1).filter { $0.outcome == .fired }

            if json {
                let output: JSONValue = [
                    "rule_sets": .array(sets.map { ["id": .string($0.id), "version": .number(Double($0.version))] }),
                    "today": .string(date),
                    "fired": .array(fired.map { .string($0.rule) }),
                    "results": try JSONValue(encoding: results.flatMap(\.1)),
                    "documents": .array(try documents.map { try ExtractCommand.json(of: $0) }),
                ]
                print(output.jsonString(pretty: true))
            } else {
                for (set, list) in results {
                    let firedHere = list.filter { $0.outcome == .fired }.sorted { $0.severity > $1.severity }
                    let notApplicable = list.filter { $0.outcome == .notApplicable }.count
                    print("\(set.id) v\(set.version): \(firedHere.count) fired, \(list.count - firedHere.count - notApplicable) passed, \(notApplicable) not applicable (review date \(date))")
                    for result in firedHere {
                        let evidence = result.evidence.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? $0.value.jsonString())" }
                        print("  \(result.severity.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) \(result.rule): \(result.description)")
                        if !evidence.isEmpty { print("          \(evidence.joined(separator: ", "))") }
                    }
                }
                for document in documents where !document.disagreements.isEmpty {
                    print("sources disagree in \(document.documentType): \(document.disagreements.map(\.field).joined(separator: ", "))")
                }
            }
            if let failSeverity, fired.contains(where: { $0.severity >= failSeverity }) { throw ExitCode(2) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw Self.fail(error)
        }
    }

    private func ruleSets(for documents: [ReconciledDocument]) throws -> [RuleSet] {
        var names = rules
        if names.isEmpty {
            let types = Set(documents.map(\.documentType))
            if types.contains("us-drivers-license") || types.contains("form-i9") { names.append("driver-onboarding") }
            if types.contains("pay-stub") || types.contains("bank-statement") { names.append("mortgage") }
        }
        return try names.map(RuleSet.load)
    }

    static func loadExtraction(_ path: String) throws -> [ReconciledDocument] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIFailure(message: "\(path): cannot read the file") }
        let decoder = JSONDecoder()
        if let many = try? decoder.decode([ReconciledDocument].self, from: data) { return many }
        do { return [try decoder.decode(ReconciledDocument.self, from: data)] } catch {
            throw CLIFailure(message: "\(path): not the JSON of `centaur extract --json` (\(error))")
        }
    }

    static func todayUTC() -> String {
        let days = Int(Date().timeIntervalSince1970 / 86_400)
        return RuleCalendar.iso(days)
    }
}

struct RulesListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the rules of a rule set.")

    @Argument(help: "A built-in rule set (driver-onboarding, mortgage) or a YAML file.")
    var ruleSet: String = "driver-onboarding"

    func run() throws {
        do {
            let set = try RuleSet.load(ruleSet)
            print("\(set.id) v\(set.version): \(set.description)")
            for rule in set.rules {
                print("  \(rule.severity.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(rule.id) v\(rule.version): \(rule.description)")
                print("          when \(rule.source)")
            }
        } catch {
            throw Self.fail(error)
        }
    }
}

struct RulesPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Print the evidence an application needs to be approved without a human.",
        discussion: """
            The policy is the `approval:` section of the rule set: the documents it needs, the fields each must \
            give from a deterministic source (barcode, form fields, printed layout), the fields a second source \
            must confirm, and the rules that may be not applicable (every other rule must pass). See \
            docs/workflow.md, "The approval policy".

            Examples:
              centaur rules policy driver-onboarding
              centaur rules policy --json driver-onboarding
            """)

    @Argument(help: "A built-in rule set (driver-onboarding, mortgage) or a YAML file.")
    var ruleSet: String = "driver-onboarding"

    @Flag(name: .long, help: "Print the policy as JSON.")
    var json = false

    func run() throws {
        do {
            let set = try RuleSet.load(ruleSet)
            if json {
                print(try JSONValue(encoding: set.approval).jsonString(pretty: true))
            } else {
                print(set.approval.describe(ruleSet: set))
            }
        } catch {
            throw Self.fail(error)
        }
    }
}
