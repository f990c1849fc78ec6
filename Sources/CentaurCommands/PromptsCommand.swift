import ArgumentParser
import CentaurCore
import CentaurExtraction
import Foundation

struct PromptsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts",
        abstract: "Prompts as data: the shipped ones and those in a prompts/ folder, by name and version.",
        discussion: """
            A prompt file (YAML) holds name, version, description, optional model and parameters, the system prompt \\
            and named templates with {{variable}} holes. Traces, labelled examples and error rates record NAME-vVERSION, \\
            so new words are a new version; a folder's file may add versions, never redefine one.
            """,
        subcommands: [List.self, Show.self, Diff.self])

    struct Folder: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("A folder of prompt files beside the shipped ones (default: ./prompts when it exists).",
                                                valueName: "dir"))
        var dir: String?

        func library() throws -> PromptLibrary {
            let url = URL(fileURLWithPath: dir ?? "prompts")
            if let dir, !FileManager.default.fileExists(atPath: dir) { throw CLIFailure(message: "--dir \(dir): no such folder") }
            return try PromptLibrary.withUserPrompts(in: url)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every prompt and version, with its variables and where it comes from.")
        @OptionGroup var folder: Folder

        func run() async throws {
            do {
                for prompt in try folder.library().prompts {
                    print("\(prompt.id)  \(prompt.templates.keys.sorted().joined(separator: ","))  vars: \(prompt.variables.joined(separator: ","))  "
                          + "\(prompt.source)  \(prompt.description)")
                }
            } catch { throw Self.fail(error) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A prompt's words: NAME (the latest), NAME@VERSION or NAME-vVERSION.")
        @OptionGroup var folder: Folder
        @Argument(help: "The prompt.") var prompt: String

        func run() async throws {
            do {
                let p = try folder.library().prompt(prompt)
                print("# \(p.id) (\(p.source))")
                if !p.description.isEmpty { print("# \(p.description)") }
                if let model = p.model { print("model: \(model)") }
                if !p.parameters.isEmpty { print("parameters: \(JSONValue.object(p.parameters).jsonString())") }
                print("\n## system\n\(p.system)")
                for name in p.templates.keys.sorted() { print("\n## \(name)\n\(p.templates[name]!)") }
            } catch { throw Self.fail(error) }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What changed between two prompts, part by part, line by line.")
        @OptionGroup var folder: Folder
        @Argument(help: "The older prompt (NAME@VERSION).") var old: String
        @Argument(help: "The newer prompt.") var new: String

        func run() async throws {
            do {
                let library = try folder.library()
                let (a, b) = (try library.prompt(old), try library.prompt(new))
                var changed = false
                func parts(_ p: PromptTemplate) -> [String: String] {
                    var parts = p.templates.mapValues { $0 }
                    parts["(system)"] = p.system
                    parts["(parameters)"] = JSONValue.object(p.parameters).jsonString() + (p.model.map { "\nmodel: \($0)" } ?? "")
                    return parts
                }
                let (x, y) = (parts(a), parts(b))
                for name in Set(x.keys).union(y.keys).sorted() where x[name] != y[name] {
                    changed = true
                    print("@@ \(name)")
                    for line in LineDiff.lines(x[name] ?? "", y[name] ?? "") { print(line) }
                }
                if !changed { print("\(a.id) and \(b.id) have the same words") }
            } catch { throw Self.fail(error) }
        }
    }
}
