import ArgumentParser
import CentaurCore
import CentaurReview
import CentaurStore
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check and export the tamper-evident audit log.",
        subcommands: [Verify.self, Head.self, Export.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chain; exit 1 and name the first bad entry if any entry was edited, deleted or reordered.",
            discussion: """
                Also checks the log against the database: every application needs its application.created entry \
                and every decision its review.decided entry, so a log emptied or cut short (head rewritten) fails. \
                To catch a rewrite of the whole tail, keep the head elsewhere (`centaur audit head` prints it, e.g. \
                into a ticket or a write-once bucket) and pass it back with --head.

                Examples:
                  centaur audit verify
                  centaur audit verify --head "$(cat audit-head.txt)"
                """)
        @OptionGroup var options: GlobalOptions
        @Flag(name: .long, help: "Print JSON: {entries, valid, first_bad_seq, problem, head_hash}.") var json = false
        @Option(name: .long, help: ArgumentHelp("A head kept outside the database, SEQ:HASH as `centaur audit head` printed it: the log must still contain that entry.", valueName: "seq:hash"))
        var head: String?

        func run() async throws {
            let result: AuditVerification
            do {
                var anchor: AuditVerification.Anchor?
                if let head {
                    guard let parsed = AuditVerification.Anchor(head) else {
                        throw CLIFailure(message: "--head must be SEQ:HASH as `centaur audit head` prints it (got \"\(head)\")")
                    }
                    anchor = parsed
                }
                result = try await AuditVerification.verify(store: try options.stores().workflow, anchor: anchor)
            } catch { throw Self.fail(error) }
            if json {
                try printJSON(result)
            } else if result.valid {
                print("audit log verified: \(result.entries) entries, head \(result.headHash)")
            } else {
                print("audit log TAMPERED at entry \(result.firstBadSeq ?? 0): \(result.problem ?? "")")
            }
            if !result.valid { throw ExitCode(1) }
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the log's head as SEQ:HASH, to keep outside the database and verify against later (audit verify --head).")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            do {
                let store = try options.stores().audit
                let head = try await store.auditHead() ?? (0, AuditEntry.genesisHash)
                print(AuditVerification.Anchor(seq: head.seq, hash: head.hash).description)
            } catch { throw Self.fail(error) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the audit log as JSON Lines (one entry per line, in order) for auditors.")
        @OptionGroup var options: GlobalOptions
        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?

        func run() async throws {
            do {
                let store = try options.stores().audit
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                var text = ""
                for entry in try await store.auditEntries(target: nil) {
                    text += String(decoding: try encoder.encode(entry), as: UTF8.self) + "\n"
                }
                try writeOutput(text, to: output)
            } catch { throw Self.fail(error) }
        }
    }
}

struct DatasetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "The data flywheel: labelled examples from applicant adjustments and reviewer corrections.",
        subcommands: [Export.self, Stats.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write labelled examples as JSON Lines (for evals and fine-tuning).")
        @OptionGroup var options: WorkflowOptions
        @Option(name: .long, help: ArgumentHelp("Only this document type (us-drivers-license, form-i9, …).", valueName: "type")) var type: String?
        @Option(name: .long, help: ArgumentHelp("Output format: jsonl.", valueName: "format")) var format: String = "jsonl"
        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?

        func run() async throws {
            do {
                guard format == "jsonl" else { throw CLIFailure(message: "--format must be jsonl (got \"\(format)\")") }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                var text = ""
                for example in try await options.service().datasetExamples(documentType: type) {
                    text += String(decoding: try encoder.encode(example), as: UTF8.self) + "\n"
                }
                try writeOutput(text, to: output)
            } catch { throw Self.fail(error) }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per-field error rates per source (barcode, form fields, layout, model:NAME) and prompt version, judged by humans.")
        @OptionGroup var options: WorkflowOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() async throws {
            do {
                let service = try options.service()
                let rates = try await service.fieldErrorRates()
                let examples = try await service.datasetExamples(documentType: nil)
                if json {
                    try printJSON(StatsResult(examples: examples.count, fields: rates))
                    return
                }
                print("\(examples.count) labelled examples")
                let wrong = rates.filter { $0.errors > 0 }
                if wrong.isEmpty { print("no source was corrected on \(rates.reduce(0) { $0 + $1.observed }) confirmed values") }
                for rate in wrong.sorted(by: { $0.errorRate > $1.errorRate }) {
                    let prompt = rate.promptVersion.map { " prompt \($0)" } ?? ""
                    print("\(rate.documentType).\(rate.field)  \(rate.source)\(prompt)  \(rate.errors)/\(rate.observed) wrong (\(String(format: "%.1f", rate.errorRate * 100))%)")
                }
            } catch { throw Self.fail(error) }
        }
    }

    struct StatsResult: Encodable {
        let examples: Int
        let fields: [FieldErrorRate]
    }
}

func writeOutput(_ text: String, to path: String?) throws {
    guard let path else { print(text, terminator: ""); return }
    do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw CLIFailure(message: "cannot write \(path): \(error.localizedDescription)")
    }
}
