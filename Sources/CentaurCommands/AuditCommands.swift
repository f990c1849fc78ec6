import ArgumentParser
import CentaurCore
import CentaurExtraction
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
        abstract: "The data flywheel: labelled examples, dataset versions and their exports.",
        discussion: """
            Every applicant adjustment and reviewer correction is a labelled example (export, stats). A snapshot turns \
            the confirmed applications of one document type into an immutable dataset version named by the hash of \
            its content, split into train and test by applicant; export writes a version for fine-tuning (openai-ft, \
            bedrock-ft), for promptfoo, or as its rows (jsonl). Rows hold documents' text: treat the files as the \
            personal data they are.
            """,
        subcommands: [Export.self, Stats.self, Snapshot.self, List.self, Diff.self])

    static func library(_ options: GlobalOptions) -> DatasetLibrary {
        DatasetLibrary(directory: URL(fileURLWithPath: options.dataDirectory).appendingPathComponent("datasets"))
    }

    struct Snapshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a dataset version of one document type from confirmed applications (the same content gives the same id).")
        @OptionGroup var options: WorkflowOptions
        @Option(name: .long, help: ArgumentHelp("The document type (us-drivers-license, form-i9, …).", valueName: "type")) var type: String
        @Option(name: .long, help: ArgumentHelp("The share of applicants in the test split, 0 to below 1.", valueName: "share")) var testShare = 0.2

        func run() async throws {
            guard (0..<1).contains(testShare) else { throw ValidationError("--test-share is at least 0 and below 1 (0.2 holds a fifth out)") }
            do {
                _ = try DocumentType.named(type)
                let rows = try await options.service().datasetRows(documentType: type)
                guard !rows.isEmpty else { throw CLIFailure(message: "no confirmed application has a \(type) document yet: nothing to snapshot") }
                let (manifest, created) = try DatasetCommand.library(options.global).snapshot(rows, documentType: type, testShare: testShare)
                print(manifest.id)
                FileHandle.standardError.write(Data(("\(created ? "wrote" : "unchanged since") \(manifest.id): \(manifest.rows) rows "
                    + "(\(manifest.train) train, \(manifest.test) test), \(manifest.corrected) with human corrections\n").utf8))
            } catch { throw Self.fail(error) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dataset versions, newest first.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            do {
                for m in try DatasetCommand.library(options).list() {
                    print("\(m.id)  \(ISO8601DateFormatter().string(from: m.createdAt))  \(m.rows) rows  \(m.train) train  \(m.test) test  "
                          + "\(m.corrected) corrected")
                }
            } catch { throw Self.fail(error) }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What changed between two dataset versions: rows added, removed, and truths changed.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The older version.") var old: String
        @Argument(help: "The newer version.") var new: String

        func run() async throws {
            do {
                let library = DatasetCommand.library(options)
                let diff = DatasetDiff(from: try library.rows(old), to: try library.rows(new))
                print("\(diff.added.count) added, \(diff.removed.count) removed, \(diff.changed.count) changed, \(diff.unchanged) unchanged")
                for row in diff.added { print("+ \(row)") }
                for row in diff.removed { print("- \(row)") }
                for (row, fields) in diff.changed.sorted(by: { $0.key < $1.key }) { print("~ \(row): \(fields.joined(separator: ", "))") }
            } catch { throw Self.fail(error) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write labelled examples as JSON Lines, or a dataset version in a fine-tuning or eval format.",
            discussion: """
                Without --snapshot: every labelled example (one field each) as JSON Lines. With --snapshot ID: that \
                version's rows (jsonl), OpenAI's chat fine-tuning lines (openai-ft: system, user, assistant), Bedrock's \
                lines for fine-tuning Claude 3 Haiku (bedrock-ft: system, user, assistant), or promptfoo test cases \
                (promptfoo: the document text as vars, a javascript assertion per field). The prompts are the \
                extractor's own. --split train|test keeps one split.
                """)
        @OptionGroup var options: WorkflowOptions
        @Option(name: .long, help: ArgumentHelp("Only this document type (us-drivers-license, form-i9, …).", valueName: "type")) var type: String?
        @Option(name: .long, help: ArgumentHelp("A dataset version (centaur dataset list).", valueName: "id")) var snapshot: String?
        @Option(name: .long, help: ArgumentHelp("jsonl, or with --snapshot also openai-ft, bedrock-ft, promptfoo.", valueName: "format"))
        var format: String = "jsonl"
        @Option(name: .long, help: ArgumentHelp("With --snapshot: only train or test.", valueName: "split")) var split: String?
        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?

        func run() async throws {
            do {
                if let snapshot {
                    guard let format = DatasetExport.Format(rawValue: format) else {
                        throw CLIFailure(message: "--format is one of \(DatasetExport.Format.allCases.map(\.rawValue).joined(separator: ", ")) (got \"\(format)\")")
                    }
                    guard split == nil || split == "train" || split == "test" else { throw CLIFailure(message: "--split is train or test") }
                    let rows = try DatasetCommand.library(options.global).rows(snapshot).filter { split == nil || $0.split == split }
                    let (lines, skipped) = try DatasetExport.lines(rows, format: format)
                    try writeOutput(lines.map { $0 + "\n" }.joined(), to: output)
                    FileHandle.standardError.write(Data("\(lines.count) lines\(skipped > 0 ? "; \(skipped) rows without text left out" : "")\n".utf8))
                    return
                }
                guard format == "jsonl" else { throw CLIFailure(message: "--format \(format) needs --snapshot ID (centaur dataset snapshot --type T)") }
                guard split == nil else { throw CLIFailure(message: "--split needs --snapshot ID") }
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
    // Exports hold personal data: readable by this user alone.
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    } catch {
        throw CLIFailure(message: "cannot write \(path): \(error.localizedDescription)")
    }
}
