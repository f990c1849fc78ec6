import CentaurTestSupport
import Foundation
import Testing

/// The flywheel's commands through the built binary when there is nothing to work on, or the input is wrong:
/// each refuses with a sentence that says what to do, and exits 1.
@Suite("centaur dataset, flywheel, prompts, experiments and serve --few-shot: clear refusals")
struct FlywheelCLITests {
    @Test("empty data, unknown names and misplaced options are refused with what to do")
    func refusals() async throws {
        let data = temporaryDirectory("centaur-flywheel-cli").path
        let cases: [([String], String)] = [
            (["dataset", "snapshot", "--type", "us-drivers-license"], "nothing to snapshot"),
            (["dataset", "snapshot", "--type", "passport"], "passport"),
            (["dataset", "snapshot", "--type", "form-i9", "--test-share", "1"], "--test-share is at least 0 and below 1"),
            (["flywheel", "run", "--type", "form-i9", "--test-share", "0"], "--test-share is above 0"),
            (["dataset", "export", "--format", "openai-ft"], "needs --snapshot"),
            (["dataset", "export", "--snapshot", "ds-none", "--format", "openai-ft"], "no dataset ds-none"),
            (["dataset", "export", "--snapshot", "ds-none", "--format", "csv"], "--format is one of"),
            (["dataset", "diff", "../a", "ds-b"], "no dataset"),
            (["flywheel", "run", "--type", "us-drivers-license"], "nothing to learn from"),
            (["prompts", "show", "extract@9"], "no prompt extract@9"),
            (["prompts", "list", "--dir", data + "/missing"], "no such folder"),
            (["serve", "--few-shot", "3", "--port", "0"], "no dataset version has training documents"),
        ]
        for (arguments, message) in cases {
            // Prompts are files, not data: they take no --data-dir.
            let result = try await CLI.run(arguments + (arguments[0] == "prompts" ? [] : ["--data-dir", data]))
            #expect(result.status != 0, "\(arguments) succeeded")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderrText)")
        }
        let listed = try await CLI.run(["prompts", "list"])
        #expect(listed.status == 0 && listed.stdout.contains("extract-v1") && listed.stdout.contains("built-in"))
        let none = try await CLI.run(["experiments", "status", "greet", "--data-dir", data])
        #expect(none.status == 0 && none.stdout.contains("no traces of function greet yet"), "\(none.stdout) \(none.stderr)")
    }
}
