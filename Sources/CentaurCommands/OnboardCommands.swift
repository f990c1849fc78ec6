import ArgumentParser
import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurRules
import CentaurStore
import Foundation
import Logging

/// Opens the onboarding workflow on the data directory (the same store `centaur serve` uses).
struct WorkflowOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Rule set to check applications against: driver-onboarding, mortgage or a YAML file.", valueName: "name-or-file"))
    var rules: String = "driver-onboarding"

    func service(now: @escaping @Sendable () -> Date = Date.init) throws -> OnboardingService {
        let logger = global.bootstrapLogging()
        let stores = try global.stores()
        let ruleSet: RuleSet
        do { ruleSet = try RuleSet.load(rules) } catch { throw CLIFailure(message: "--rules \(rules): \(error)") }
        return OnboardingService(store: stores.workflow, blobs: stores.blobs,
                                 ruleSet: ruleSet, now: now, logger: logger)
    }
}

/// `type.field=value` as the CLI takes adjustments and corrections.
struct FieldAssignment {
    let documentType: String
    let field: String
    let value: JSONValue

    init(_ text: String) throws {
        guard let equals = text.firstIndex(of: "="), let dot = text[..<equals].firstIndex(of: ".") else {
            throw CLIFailure(message: "expected TYPE.FIELD=VALUE such as form-i9.ssn=123456789 (got \"\(text)\")")
        }
        documentType = String(text[..<dot])
        field = String(text[text.index(after: dot)..<equals])
        let raw = String(text[text.index(after: equals)...])
        value = raw == "null" ? .null : .string(raw)
    }
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

struct OnboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onboard",
        abstract: "Submit an applicant's documents and confirm the extracted values, as the applicant would.",
        subcommands: [Submit.self, Confirm.self, Status.self])

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an application, upload its documents and extract them (prints the values to confirm).",
            discussion: """
                The documents are read here and now (barcode, form fields, printed layout, OCR text). With --confirm \
                or --set, the values are confirmed too, the rules run and the application is auto-approved or sent \
                to review. Example:
                  centaur onboard submit --license-front front.png --license-back back.png --i9 i9.pdf --confirm
                """)

        @OptionGroup var options: WorkflowOptions
        @Option(name: .long, help: ArgumentHelp("Licence front (image or PDF).", valueName: "file")) var licenseFront: String?
        @Option(name: .long, help: ArgumentHelp("Licence back with the PDF417 barcode.", valueName: "file")) var licenseBack: String?
        @Option(name: .long, help: ArgumentHelp("Form I-9 (PDF, scan or photo).", valueName: "file")) var i9: String?
        @Option(name: .long, help: ArgumentHelp("Another document (type detected).", valueName: "file")) var other: [String] = []
        @Option(name: .long, help: ArgumentHelp("Two-letter state the applicant will drive in.", valueName: "state")) var marketState: String?
        @Flag(name: .long, help: "Confirm the extracted values as they are.") var confirm = false
        @Option(name: .long, help: ArgumentHelp("Change a value before confirming (implies --confirm); repeatable.", valueName: "type.field=value"))
        var set: [String] = []
        @Flag(name: .long, help: "Print one JSON object.") var json = false

        func run() async throws {
            do {
                let files: [(DocumentKind, String)] = [(.licenseFront, licenseFront), (.licenseBack, licenseBack), (.i9, i9)]
                    .compactMap { kind, path in path.map { (kind, $0) } } + other.map { (.other, $0) }
                guard !files.isEmpty else { throw CLIFailure(message: "give at least one of --license-front, --license-back, --i9, --other") }
                let assignments = try set.map(FieldAssignment.init)
                let service = try options.service()
                let (application, token) = try await service.create(marketState: marketState)
                for (kind, path) in files {
                    let data: Data
                    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw CLIFailure(message: "cannot read \(path)") }
                    try await service.upload(applicationID: application.id, kind: kind, name: URL(fileURLWithPath: path).lastPathComponent, data: data)
                }
                if !json { FileHandle.standardError.write(Data("extracting \(files.count) document(s)…\n".utf8)) }
                try await JobWorker(onboarding: service, signal: JobSignal()).drain()
                if confirm || !assignments.isEmpty {
                    var values: [String: [String: JSONValue]] = [:]
                    for a in assignments { values[a.documentType, default: [:]][a.field] = a.value }
                    _ = try await service.confirm(applicationID: application.id, values: values)
                }
                let view = try await service.applicantView(applicationID: application.id)
                let detail = try await service.detail(applicationID: application.id)
                if json {
                    try printJSON(SubmitResult(id: application.id, token: token, state: view.state.rawValue, reasons: detail.reasons,
                                               error: view.error, extracted: view.extracted ?? []))
                } else {
                    print("application \(application.id): \(view.state.rawValue)")
                    print("applicant token (shown once): \(token)")
                    if let error = view.error { print("error: \(error)") }
                    for document in view.extracted ?? [] {
                        print("\n\(document.type)")
                        for field in document.fields {
                            let marks = (field.disagreement ? " [sources disagree]" : "") + (field.adjusted ? " [adjusted]" : "")
                            print("  \(field.name): \(field.value.jsonString())  (\(field.sources.joined(separator: ", ")))\(marks)")
                        }
                    }
                    for reason in detail.reasons { print("review: \(reason)") }
                }
            } catch let error as ExitCode {
                throw error
            } catch {
                throw Self.fail(error)
            }
        }
    }

    struct SubmitResult: Encodable {
        let id: String
        let token: String
        let state: String
        let reasons: [String]
        let error: String?
        let extracted: [ApplicantView.Document]
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Confirm an application's extracted values, changing any with --set.")
        @OptionGroup var options: WorkflowOptions
        @Argument(help: "The application id.") var id: String
        @Option(name: .long, help: ArgumentHelp("Change a value; repeatable.", valueName: "type.field=value")) var set: [String] = []

        func run() async throws {
            do {
                var values: [String: [String: JSONValue]] = [:]
                for a in try set.map(FieldAssignment.init) { values[a.documentType, default: [:]][a.field] = a.value }
                let application = try await options.service().confirm(applicationID: id, values: values)
                print("application \(application.id): \(application.state.rawValue)")
            } catch {
                throw Self.fail(error)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an application as its applicant sees it.")
        @OptionGroup var options: WorkflowOptions
        @Argument(help: "The application id.") var id: String

        func run() async throws {
            do { try printJSON(try await options.service().applicantView(applicationID: id)) } catch { throw Self.fail(error) }
        }
    }
}

struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Work the review queue: list, show, claim, correct and decide applications.",
        subcommands: [Queue.self, Show.self, Claim.self, Release.self, Decide.self, Correct.self])

    struct ReviewerOption: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("Who is deciding (recorded in the audit log; default: $USER).", valueName: "name"))
        var reviewer: String?
        var name: String { "reviewer:" + (reviewer ?? ProcessInfo.processInfo.environment["USER"] ?? "cli") }
    }

    struct Queue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Applications in review, highest risk first, then oldest.")
        @OptionGroup var options: WorkflowOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            do {
                let items = try await options.service().queue()
                if json { try printJSON(items); return }
                if items.isEmpty { print("the review queue is empty") }
                for item in items {
                    print("\(item.id)  risk \(item.risk)  \(item.assignee.map { "claimed by \($0)" } ?? "unclaimed")")
                    for reason in item.reasons { print("    \(reason)") }
                }
            } catch { throw Self.fail(error) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One application for a reviewer: state, why it needs a human, the evidence, changes, decisions.",
            discussion: "--json prints the whole record (values, provenance, rules, adjustments, audit) with the JSON the store keeps as text decoded in place.")
        @OptionGroup var options: WorkflowOptions
        @Flag(name: .long, help: "The whole record as JSON.") var json = false
        @Argument(help: "The application id.") var id: String

        func run() async throws {
            do {
                let detail = try await options.service().detail(applicationID: id)
                if json {
                    print(Self.decodingEmbeddedJSON(try encoded(detail)).jsonString(pretty: true))
                } else {
                    print(Self.summary(detail), terminator: "")
                }
            } catch { throw Self.fail(error) }
        }

        func encoded(_ detail: ReviewDetail) throws -> JSONValue {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            return try JSONValue(parsing: try encoder.encode(detail))
        }

        /// Strings under `before`, `after` and `reasons` that hold JSON (the store keeps them as text) become the values.
        static func decodingEmbeddedJSON(_ value: JSONValue, key: String? = nil) -> JSONValue {
            switch value {
            case .object(let fields): return .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.key, decodingEmbeddedJSON($0.value, key: $0.key)) }))
            case .array(let items): return .array(items.map { decodingEmbeddedJSON($0) })
            case .string(let text) where ["before", "after", "reasons"].contains(key) && (text.hasPrefix("{") || text.hasPrefix("[") || text.hasPrefix("\"")):
                return (try? JSONValue(parsing: text)) ?? value
            default: return value
            }
        }

        /// A screenful for a reviewer.
        static func summary(_ detail: ReviewDetail) -> String {
            func text(_ value: JSONValue) -> String { value.stringValue ?? (value == .null ? "—" : value.jsonString()) }
            let application = detail.application
            var out = "Application \(application.id): \(application.state.rawValue), risk \(application.risk), "
                + (application.assignee.map { "claimed by \($0)" } ?? "unclaimed") + "\n"
            if detail.reasonGroups.isEmpty {
                out += detail.reasons.isEmpty ? "No reasons for review.\n" : "Why it needs a human:\n" + detail.reasons.map { "  - \($0)\n" }.joined()
            } else {
                out += "Why it needs a human:\n"
                for group in detail.reasonGroups {
                    out += "  \(group.title):\n" + group.reasons.map { "    - \($0)\n" }.joined()
                }
            }
            if !detail.evidence.isEmpty {
                out += "Evidence:\n"
                for item in detail.evidence {
                    let mark = item.status == .verified ? "✓" : item.status == .changed ? "✎" : "✗"
                    let document = item.documentType == "us-drivers-license" ? "licence" : item.documentType == "form-i9" ? "I-9" : item.documentType
                    var line = "  \(mark) \(document) \(item.label): \(text(item.value))"
                    if let printed = item.printed { line += " (printed \(printed))" }
                    line += item.seenBy.isEmpty ? " — not read" : " — \(item.seenBy.joined(separator: ", "))"
                    if !item.confirmedBy.isEmpty { line += "; confirmed by \(item.confirmedBy.joined(separator: ", "))" }
                    if item.status != .verified { line += " [\(item.status.rawValue.replacingOccurrences(of: "_", with: " "))]" }
                    out += line + "\n"
                }
            }
            if !detail.ungrounded.isEmpty {
                out += "Model values not in the documents (not used): "
                    + detail.ungrounded.map { "\($0.field)=\(text($0.value))" }.joined(separator: ", ") + "\n"
            }
            out += "Documents: " + (detail.documents.isEmpty ? "none" : detail.documents.map { "\($0.kind) \($0.name)" + ($0.superseded ? " (replaced)" : "") }.joined(separator: ", ")) + "\n"
            if !detail.adjustments.isEmpty {
                out += "Changes:\n" + detail.adjustments.map { change in
                    "  - \(change.actor) changed \(change.documentType).\(change.field) from \(change.before) to \(change.after)"
                        + (change.reason.map { " — \($0)" } ?? "") + "\n"
                }.joined()
            }
            if !detail.decisions.isEmpty {
                out += "Decisions:\n" + detail.decisions.map { "  - \($0.actor): \($0.decision) — \($0.reason)\n" }.joined()
            }
            out += "Audit history: \(detail.audit.count) entries (centaur audit verify checks them). The whole record: centaur review show \(application.id) --json\n"
            return out
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give an application you claimed back to the queue.")
        @OptionGroup var options: WorkflowOptions
        @OptionGroup var reviewer: ReviewerOption
        @Argument(help: "The application id.") var id: String

        func run() async throws {
            do {
                let application = try await options.service().release(applicationID: id, reviewer: reviewer.name)
                print("application \(application.id) released to the queue")
            } catch { throw Self.fail(error) }
        }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take an application in review.")
        @OptionGroup var options: WorkflowOptions
        @OptionGroup var reviewer: ReviewerOption
        @Argument(help: "The application id.") var id: String

        func run() async throws {
            do {
                let application = try await options.service().claim(applicationID: id, reviewer: reviewer.name)
                print("application \(application.id) claimed by \(application.assignee ?? "?")")
            } catch { throw Self.fail(error) }
        }
    }

    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve, reject or ask for new documents; a reason is required.")
        @OptionGroup var options: WorkflowOptions
        @OptionGroup var reviewer: ReviewerOption
        @Argument(help: "The application id.") var id: String
        @Flag(help: "The decision.") var decision: Choice
        @Option(name: .long, help: "Why (kept with the decision and in the audit log).") var reason: String

        enum Choice: String, EnumerableFlag {
            case approve, reject, resubmit
        }

        func run() async throws {
            do {
                let choice: ReviewDecision = switch decision {
                case .approve: .approve
                case .reject: .reject
                case .resubmit: .requestResubmission
                }
                let application = try await options.service().decide(applicationID: id, decision: choice, reason: reason, reviewer: reviewer.name)
                print("application \(application.id): \(application.state.rawValue)")
            } catch { throw Self.fail(error) }
        }
    }

    struct Correct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Correct an extracted value (stored as a labelled example).")
        @OptionGroup var options: WorkflowOptions
        @OptionGroup var reviewer: ReviewerOption
        @Argument(help: "The application id.") var id: String
        @Option(name: .long, help: ArgumentHelp("The new value.", valueName: "type.field=value")) var set: String
        @Option(name: .long, help: "Why.") var reason: String

        func run() async throws {
            do {
                let assignment = try FieldAssignment(set)
                let application = try await options.service().correct(
                    applicationID: id, documentType: assignment.documentType, field: assignment.field, value: assignment.value,
                    reason: reason, reviewer: reviewer.name)
                print("application \(application.id): corrected \(assignment.documentType).\(assignment.field)")
            } catch { throw Self.fail(error) }
        }
    }
}
