import ArgumentParser
import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurStore
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Load sample applications that walk every path: clean, adjusted, rule-blocked, disagreeing, adversarial, resubmitted.",
        discussion: """
            Uses the generated sample documents (scripts/generate-samples writes .centaur/samples) and the data directory \
            `centaur serve` uses, so the applications appear in the review API afterwards. Then try:
              centaur review queue
              centaur review show ID
              centaur review decide ID --approve --reason "documents verified"
              centaur audit verify
            """)

    @OptionGroup var options: WorkflowOptions
    @Option(name: .long, help: ArgumentHelp("Folder of generated samples.", valueName: "dir")) var samples: String = ".centaur/samples"
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        do {
            guard FileManager.default.fileExists(atPath: "\(samples)/manifest.json") else {
                throw CLIFailure(message: "no samples in \(samples): run scripts/generate-samples first")
            }
            let demo = OnboardingDemo(service: try options.service(), samples: URL(fileURLWithPath: samples)) { line in
                if !json { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
            }
            let outcomes = try await demo.run()
            if json { try printJSON(outcomes); return }
            print("")
            for outcome in outcomes {
                print("\(outcome.path.padding(toLength: 12, withPad: " ", startingAt: 0)) \(outcome.id)  \(outcome.state.rawValue)  — \(outcome.description)")
                for reason in outcome.reasons.prefix(4) { print("    \(reason)") }
                if outcome.reasons.count > 4 { print("    … \(outcome.reasons.count - 4) more") }
            }
            print("\nnext: centaur review queue, centaur review show ID, centaur audit verify")
        } catch {
            throw Self.fail(error)
        }
    }
}
