import CentaurCore
import Foundation
import Yams

/// Prompts as data: YAML files of ``PromptTemplate``s, the built-in ones shipped in this module's `prompts/`
/// resources and any in a directory of the user's (`prompts/`), which may add versions but never replace a built-in
/// one (a version's words are fixed once released).
///
/// A file holds `name`, `version`, `description`, optional `model` and `parameters`, `system` and `templates`
/// (each a string with `{{variable}}` holes).
public struct PromptLibrary: Sendable {
    public private(set) var prompts: [PromptTemplate]

    public init(_ prompts: [PromptTemplate] = []) { self.prompts = prompts }

    /// The prompts shipped with Centaur.
    public static let builtIn: PromptLibrary = {
        let candidates = [Bundle.module.url(forResource: "prompts", withExtension: nil),
                          Bundle.module.resourceURL?.appendingPathComponent("prompts"),
                          Bundle.module.resourceURL?.appendingPathComponent("Resources/prompts")].compactMap { $0 }
        guard let directory = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }),
              let library = try? PromptLibrary.load(directory: directory, source: "built-in") else {
            fatalError("the built-in prompts are missing from CentaurExtraction's resources")
        }
        return library
    }()

    /// The prompt the extractor uses.
    public static var extraction: PromptTemplate {
        guard let prompt = builtIn.latest("extract") else { fatalError("the built-in prompt extract is missing") }
        return prompt
    }

    /// Reads every `.yaml` file in `directory`.
    public static func load(directory: URL, source: String? = nil) throws -> PromptLibrary {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var library = PromptLibrary()
        for name in names {
            let url = directory.appendingPathComponent(name)
            try library.add(try parse(String(contentsOf: url, encoding: .utf8), source: source ?? url.path))
        }
        return library
    }

    /// One prompt file.
    public static func parse(_ text: String, source: String) throws -> PromptTemplate {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw PromptError("\(source): not YAML (\(error))") }
        guard let mapping = root?.mapping else { throw PromptError("\(source): expected a mapping with name, version, system and templates") }
        let known: Set<String> = ["name", "version", "description", "model", "parameters", "system", "templates"]
        for key in mapping.keys.compactMap(\.string) where !known.contains(key) {
            throw PromptError("\(source): unknown key \(key); expected \(known.sorted().joined(separator: ", "))")
        }
        guard let name = mapping["name"]?.string, !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }) else {
            throw PromptError("\(source): needs a name (letters, digits, - and .)")
        }
        guard let version = mapping["version"]?.int, version >= 1 else { throw PromptError("\(source): needs a version, a whole number from 1") }
        guard let system = mapping["system"]?.string else { throw PromptError("\(source): needs a system prompt (system: |- …)") }
        guard let templates = mapping["templates"]?.mapping, !templates.isEmpty else {
            throw PromptError("\(source): needs templates: { NAME: TEXT }")
        }
        var texts: [String: String] = [:]
        for (key, value) in templates {
            guard let key = key.string, let text = value.string else { throw PromptError("\(source): every template is a name and its text") }
            texts[key] = text
        }
        var parameters: [String: JSONValue] = [:]
        if let raw = mapping["parameters"] {
            guard let values = raw.mapping else { throw PromptError("\(source): parameters is a mapping") }
            for (key, value) in values {
                guard let key = key.string, let scalar = value.scalar else { throw PromptError("\(source): parameters are names and plain values") }
                if let number = value.float, scalar.style == .plain, Double(scalar.string) != nil {
                    parameters[key] = .number(number)
                } else if let flag = value.bool, scalar.style == .plain {
                    parameters[key] = .bool(flag)
                } else {
                    parameters[key] = .string(scalar.string)
                }
            }
        }
        return PromptTemplate(name: name, version: version, description: mapping["description"]?.string ?? "", model: mapping["model"]?.string,
                              parameters: parameters, system: system, templates: texts, source: source)
    }

    /// Adds a prompt; a second file with the same name and version is refused.
    public mutating func add(_ prompt: PromptTemplate) throws {
        if let existing = prompts.first(where: { $0.id == prompt.id }) {
            throw PromptError("\(prompt.source): \(prompt.id) is already defined by \(existing.source); give the new words a new version")
        }
        prompts.append(prompt)
        prompts.sort { ($0.name, $0.version) < ($1.name, $1.version) }
    }

    /// The built-in prompts and those in `directory` (if it exists).
    public static func withUserPrompts(in directory: URL?) throws -> PromptLibrary {
        var library = builtIn
        guard let directory, FileManager.default.fileExists(atPath: directory.path) else { return library }
        for prompt in try load(directory: directory).prompts { try library.add(prompt) }
        return library
    }

    public func latest(_ name: String) -> PromptTemplate? { prompts.filter { $0.name == name }.max { $0.version < $1.version } }

    /// `NAME` (its latest version), `NAME@VERSION` or `NAME-vVERSION`.
    public func prompt(_ reference: String) throws -> PromptTemplate {
        var name = reference, version: Int?
        if let at = reference.lastIndex(of: "@") {
            name = String(reference[..<at]); version = Int(reference[reference.index(after: at)...])
            guard version != nil else { throw PromptError("\(reference): the version after @ is a whole number") }
        } else if let range = reference.range(of: "-v", options: .backwards), let number = Int(reference[range.upperBound...]) {
            name = String(reference[..<range.lowerBound]); version = number
        }
        let found = version.map { v in prompts.first { $0.name == name && $0.version == v } } ?? latest(name)
        guard let found else {
            throw PromptError("no prompt \(reference); known: \(prompts.map(\.id).joined(separator: ", "))")
        }
        return found
    }
}
