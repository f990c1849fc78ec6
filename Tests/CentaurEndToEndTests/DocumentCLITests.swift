import CentaurCore
import CentaurTestSupport
import Foundation
import Testing

/// `centaur extract` and `centaur rules` through the built binary (no model: deterministic sources only).
@Suite("centaur extract and centaur rules")
struct DocumentCLITests {
    static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let quiet = arguments.first == "extract" || arguments.prefix(2) == ["rules", "check"]
        let output = try await CLI.run(arguments + (quiet ? ["--quiet"] : []))
        return (output.status, output.stdout, output.stderrText)
    }

    static let adversarial = Samples.root.appendingPathComponent("adversarial")

    @Test("extract on a junk barcode reports the barcode error and invents nothing; on a blank image, that nothing could be read (exit 3)",
          .enabled(if: FileManager.default.fileExists(atPath: adversarial.path) || ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_SAMPLES"] == "1"))
    func nothingTrustworthy() async throws {
        let junk = try await Self.run(["extract", "--type", "us-drivers-license", Self.adversarial.appendingPathComponent("junk-barcode.png").path])
        #expect(junk.status == 3, "\(junk.stderr)")
        #expect(junk.stdout.contains("finding: barcode_invalid") && junk.stdout.contains("no '@' compliance indicator"), "\(junk.stdout)")
        #expect(junk.stdout.contains("(no trustworthy field found)"))
        #expect(!junk.stdout.contains("JOHN") && !junk.stdout.contains("[model"), "no model was asked to imagine values: \(junk.stdout)")
        #expect(junk.stderr.contains("nothing trustworthy"))

        let blank = try await Self.run(["extract", "--json", "--type", "us-drivers-license", Self.adversarial.appendingPathComponent("blank.png").path])
        #expect(blank.status == 3, "\(blank.stderr)")
        let json = try JSONValue(parsing: blank.stdout)
        #expect(json["fields"] == [:])
        #expect(json["findings"]?.arrayValue?.compactMap { $0["code"]?.stringValue } == ["nothing_read", "barcode_missing"])
        #expect(json["attempts"] == [])
    }

    @Test("from any directory the commands share one home: a key made in one folder is listed from another")
    func oneHome() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-anywhere-\(UUID().uuidString)")
        let first = root.appendingPathComponent("a"), second = root.appendingPathComponent("b"), data = root.appendingPathComponent("xdg")
        for folder in [first, second] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(at: root) }
        func run(_ arguments: [String], in folder: URL, _ environment: [String: String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = CLI.executable
            process.arguments = arguments
            process.currentDirectoryURL = folder
            var base = ProcessInfo.processInfo.environment
            base["CENTAUR_HOME"] = nil
            base["CENTAUR_DATA_DIR"] = nil  // scripts/test points it at its own data; this test is about the default
            process.environment = base.merging(environment) { $1 }
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        // No CENTAUR_HOME and no ./.centaur: the per-user data folder.
        let made = try run(["keys", "create", "--name", "anywhere"], in: first, ["XDG_DATA_HOME": data.path])
        #expect(made.0 == 0 && made.1.hasPrefix("ctr_"))
        let listed = try run(["keys", "list"], in: second, ["XDG_DATA_HOME": data.path])
        #expect(listed.0 == 0 && listed.1.contains("anywhere"), "\(listed.1)")
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("centaur/data/centaur.sqlite").path))
        // CENTAUR_HOME wins, from any folder.
        let home = root.appendingPathComponent("home").path
        #expect(try run(["keys", "create", "--name", "homed"], in: first, ["CENTAUR_HOME": home]).0 == 0)
        let homed = try run(["keys", "list"], in: second, ["CENTAUR_HOME": home, "XDG_DATA_HOME": data.path])
        #expect(homed.1.contains("homed") && !homed.1.contains("anywhere"))
    }

    /// The processes `pid` started that are still running (from `/proc/PID/task/*/children`).
    static func children(of pid: Int32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [String] in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/task/\(task)/children") else { return [] }
            return String(decoding: raw, as: UTF8.self).split(separator: " ").map(String.init).filter { Int($0) != nil }
        }
    }

    /// A process's command line, its arguments joined by spaces ("" once it has gone).
    static func commandLine(_ id: String) -> String {
        guard let raw = FileManager.default.contents(atPath: "/proc/\(id)/cmdline") else { return "" }
        return String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// How many running processes name `path` in their command line (the document tools working under it).
    static func processes(naming path: String) -> Int {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
        return ids.filter { commandLine($0).contains(path) }.count
    }

    /// Watches `pid`'s children on a thread of its own and sends `pid` SIGTERM the moment one of them names `path`
    /// (a document tool working in the scratch folder); false when none did before `pid` ended or `seconds` passed.
    /// Not on Swift concurrency's threads: with the whole suite running, other tests kept those busy long enough for
    /// a poll there to miss the tools of a 46-second extract entirely.
    static func terminateWhileToolRuns(_ pid: Int32, naming path: String, within seconds: Double) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread {
                let deadline = Date().addingTimeInterval(seconds)
                while Date() < deadline, isAlive(pid) {
                    if children(of: pid).contains(where: { commandLine($0).contains(path) }) {
                        kill(pid, SIGTERM)
                        continuation.resume(returning: true)
                        return
                    }
                    usleep(2_000)
                }
                continuation.resume(returning: false)
            }.start()
        }
    }

    /// Whether `pid` is running (not gone, not a zombie waiting to be reaped).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return false }
        // "PID (name) STATE ...": the state follows the last ')'.
        let text = String(decoding: raw, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return false }
        return !text[text.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    @Test("a centaur extract stopped with SIGTERM stops its document tools and leaves no scratch files")
    func stoppedCleanly() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-stop-\(UUID().uuidString)")
        let scratch = root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        // Twelve large pages: rendering them keeps pdftoppm busy for a while.
        let pdf = root.appendingPathComponent("pages.pdf")
        try TestDocuments.blankPDF(pages: 12, width: 1700, height: 1700).write(to: pdf)
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["extract", "--quiet", "--type", "us-drivers-license", pdf.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": scratch.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let signalled = await Self.terminateWhileToolRuns(process.processIdentifier, naming: scratch.path, within: 300)
        #expect(signalled, "a document tool ran under the scratch folder and the extract was stopped while it ran")
        if !signalled { process.terminate() }
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 128 + SIGTERM, "exits as a shell reports a SIGTERM")
        #expect(Self.processes(naming: scratch.path) == 0, "no pdftoppm left running")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "no scratch files left")
    }

    @Test("extract --json prints the fields, provenance and usage of an I-9", SharedData.needed)
    func extractJSON() async throws {
        let result = try await Self.run(["extract", "--json", SharedData.url("i9/filled-03.pdf").path])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["type"] == "form-i9")
        #expect(json["fields"]?["ssn"] == "987654321")
        #expect(json["fields"]?["citizenship_status"] == 2)
        #expect(json["provenance"]?["ssn"]?[0]?["element"] == "US Social Security Number")
        #expect(json["disagreements"] == [])
        #expect(json["usage"]?["input_tokens"] == 0)
    }

    @Test("rules check: fired rules as JSON, --fail-on sets the exit status, extract JSON is accepted as input", SharedData.needed)
    func rulesCheck() async throws {
        let form = SharedData.url("i9/filled-03-flat.pdf").path
        let result = try await Self.run(["rules", "check", "--json", "--today", "2026-11-23", form])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["fired"] == ["ssn_invalid_area"])
        #expect(json["rule_sets"]?[0]?["id"] == "driver-onboarding")

        let failing = try await Self.run(["rules", "check", "--today", "2026-11-23", "--fail-on", "review", form])
        #expect(failing.status == 2)
        #expect(failing.stdout.contains("REVIEW  ssn_invalid_area"), "\(failing.stdout)")

        let extracted = try await Self.run(["extract", "--json", SharedData.url("i9/filled-02.pdf").path])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("extract-\(UUID().uuidString).json")
        try Data(extracted.stdout.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromJSON = try await Self.run(["rules", "check", "--json", "--today", "2026-11-23", file.path])
        #expect(fromJSON.status == 0, "\(fromJSON.stderr)")
        #expect(try JSONValue(parsing: fromJSON.stdout)["fired"] == ["list_b_document_expired"])
    }

    @Test("bad input: unknown type, a non-document file, a rule file that does not type-check", SharedData.needed)
    func badInput() async throws {
        let form = SharedData.url("i9/filled-01.pdf").path
        let unknownType = try await Self.run(["extract", "--type", "passport", form])
        #expect(unknownType.status == 1)
        #expect(unknownType.stderr.contains("unknown document type \"passport\""), "\(unknownType.stderr)")

        let text = FileManager.default.temporaryDirectory.appendingPathComponent("notes-\(UUID().uuidString).txt")
        try Data("just some notes".utf8).write(to: text)
        defer { try? FileManager.default.removeItem(at: text) }
        let notDocument = try await Self.run(["extract", text.path])
        #expect(notDocument.status == 1)
        #expect(notDocument.stderr.contains("not a PNG, JPEG or PDF"), "\(notDocument.stderr)")

        let rules = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString).yaml")
        try Data("id: mine\nversion: 1\nrules:\n  - id: too_young\n    severity: block\n    when: age_on(i9.last_name, today()) < 21\n".utf8).write(to: rules)
        defer { try? FileManager.default.removeItem(at: rules) }
        let badRules = try await Self.run(["rules", "check", "--rules", rules.path, form])
        #expect(badRules.status == 1)
        #expect(badRules.stderr.contains("rule too_young, column 8: age_on expects date here, given string"), "\(badRules.stderr)")

        let list = try await Self.run(["rules", "list", "mortgage"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("bank_statement_balance_mismatch"))
    }
}
