import CentaurCore
import CentaurTestSupport
import Foundation
import Testing

/// `centaur onboard`, `review`, `audit` and `dataset` through the built binary, on one data directory.
@Suite("Workflow commands", Samples.needed)
struct WorkflowCLITests {
    @Test("onboard submit --set cannot silence a rule: clearing a limited-duration flag or signing an unsigned I-9 goes to review")
    func editsThatSilenceRules() async throws {
        let data = temporaryDirectory("centaur-workflow").path
        func sample(_ file: String) -> String { Samples.root.appendingPathComponent(file).path }
        let cases: [(back: String, i9: String, set: String, reasons: [String])] = [
            ("adversarial/license-back-limited.png", "person-01/i9.pdf", "us-drivers-license.limited_duration=false",
             ["silenced rule license_limited_duration_status", "changed us-drivers-license.limited_duration, which barcode read"]),
            ("person-01/license-back.png", "person-01/i9.pdf", "us-drivers-license.under_21_until=2030-01-01",
             ["changed us-drivers-license.under_21_until, which barcode read"]),
            ("person-01/license-back.png", "adversarial/i9-unsigned.pdf", "form-i9.employee_signature=Jane Q. Sampleton",
             ["silenced rule i9_section1_unsigned"]),
        ]
        for item in cases {
            let output = try await CLI.run(["onboard", "submit", "--license-front", sample("person-01/license-front.png"),
                                                    "--license-back", sample(item.back), "--i9", sample(item.i9), "--market-state", "IL",
                                                    "--set", item.set, "--json", "--data-dir", data])
            #expect(output.status == 0, "\(output.stderrText)")
            let result = try output.json()
            #expect(result["state"] == "in_review", "\(item.set): \(result["reasons"] ?? .null)")
            let reasons = result["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for reason in item.reasons { #expect(reasons.contains { $0.contains(reason) }, "\(item.set): \(reasons)") }
        }
    }

    @Test("submit, confirm with an adjustment, queue, decide, verify the audit log, export the labelled data")
    func roundTrip() async throws {
        let data = temporaryDirectory("centaur-workflow").path
        func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            let output = try await CLI.run(arguments + ["--data-dir", data])
            return (output.status, output.stdout, output.stderrText)
        }
        func sample(_ file: String) -> String { Samples.root.appendingPathComponent("person-01").appendingPathComponent(file).path }

        let clean = try await run(["onboard", "submit", "--license-front", sample("license-front.png"), "--license-back", sample("license-back.png"),
                                   "--i9", sample("i9.pdf"), "--market-state", "IL", "--confirm", "--json"])
        #expect(clean.status == 0, "\(clean.stderr)")
        let cleanJSON = try JSONValue(parsing: clean.stdout)
        #expect(cleanJSON["state"] == "auto_approved", "\(cleanJSON["reasons"] ?? .null)")
        #expect(cleanJSON["token"]?.stringValue?.hasPrefix("cat_") == true)

        let adjusted = try await run(["onboard", "submit", "--license-back", sample("license-back.png"), "--i9", sample("i9.pdf"),
                                      "--market-state", "IL", "--set", "us-drivers-license.first_name=ROBIN", "--json"])
        #expect(adjusted.status == 0, "\(adjusted.stderr)")
        let id = try #require(try JSONValue(parsing: adjusted.stdout)["id"]?.stringValue)
        #expect(try JSONValue(parsing: adjusted.stdout)["state"] == "in_review")

        let queue = try JSONValue(parsing: try await run(["review", "queue", "--json"]).stdout)
        #expect(queue.arrayValue?.map { $0["id"] } == [.string(id)])

        // A short view for a reviewer by default; the whole record with --json, no JSON inside its strings.
        let shown = try await run(["review", "show", id])
        #expect(shown.status == 0 && shown.stdout.hasPrefix("Application \(id): in_review"), "\(shown.stdout)")
        #expect(shown.stdout.contains("Why it needs a human:") && shown.stdout.contains("changed us-drivers-license.first_name"))
        #expect(shown.stdout.contains(" licence date of birth: ") && shown.stdout.utf8.count < 8_000, "\(shown.stdout.utf8.count) bytes")
        let full = try JSONValue(parsing: try await run(["review", "show", id, "--json"]).stdout)
        #expect(full["application"]?["reasons"]?.arrayValue?.isEmpty == false, "reasons are a list, not JSON text")
        #expect(full["adjustments"]?[0]?["after"] == "ROBIN")
        #expect(full["audit"]?[0]?["after"]?.objectValue != nil)

        let decided = try await run(["review", "decide", id, "--reject", "--reason", "name does not match", "--reviewer", "ana"])
        #expect(decided.status == 0 && decided.stdout.contains("rejected"), "\(decided.stderr)")
        let again = try await run(["review", "decide", id, "--approve", "--reason", "changed my mind"])
        #expect(again.status == 1 && again.stderr.contains("cannot approve an application that is rejected"))
        let noReason = try await run(["review", "decide", id, "--approve"])
        #expect(noReason.status != 0 && noReason.stderr.contains("--reason"))

        let verify = try await run(["audit", "verify", "--json"])
        #expect(verify.status == 0)
        let entries = try #require(try JSONValue(parsing: verify.stdout)["entries"]?.intValue)
        let export = try await run(["audit", "export"])
        #expect(export.stdout.split(separator: "\n").count == entries)
        #expect(export.stdout.contains("\"actor\":\"reviewer:ana\""))

        let dataset = try await run(["dataset", "export", "--type", "us-drivers-license"])
        let lines = dataset.stdout.split(separator: "\n").map { try? JSONValue(parsing: String($0)) }
        #expect(lines.count == 1)
        #expect(lines.first??["human_value"] == "ROBIN" && lines.first??["chosen_source"] == "barcode")
        let stats = try JSONValue(parsing: try await run(["dataset", "stats", "--json"]).stdout)
        #expect(stats["examples"] == 1)
        let firstName = stats["fields"]?.arrayValue?.first { $0["field"] == "first_name" && $0["source"] == "barcode" }
        #expect(firstName?["errors"] == 1 && firstName?["observed"] == 2)
    }
}
