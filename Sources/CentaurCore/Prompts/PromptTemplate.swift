import Foundation

/// A prompt as data: a name and version, the system prompt, named message templates with `{{variable}}` holes, and
/// the parameters and model it was written for. Its ``id`` (`extract-v1`) is what traces, labelled examples and error
/// rates record, so a change to the words is a new version, never an edit in place.
public struct PromptTemplate: Sendable, Hashable {
    public var name: String
    public var version: Int
    public var description: String
    /// The model or route it was written for, if any.
    public var model: String?
    /// Request parameters (`temperature`, `max_tokens`, …).
    public var parameters: [String: JSONValue]
    public var system: String
    /// Message templates by name (`text`, `image`, `repair`).
    public var templates: [String: String]
    /// Where it was read from (a file, or `built-in`).
    public var source: String

    public init(name: String, version: Int, description: String = "", model: String? = nil, parameters: [String: JSONValue] = [:],
                system: String, templates: [String: String], source: String = "built-in") {
        self.name = name; self.version = version; self.description = description; self.model = model
        self.parameters = parameters; self.system = system; self.templates = templates; self.source = source
    }

    /// `NAME-vVERSION`.
    public var id: String { "\(name)-v\(version)" }

    /// The variables a template uses, in order of first use.
    public static func variables(in template: String) -> [String] {
        var names: [String] = []
        var rest = Substring(template)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if !names.contains(name) { names.append(name) }
            rest = rest[close.upperBound...]
        }
        return names
    }

    /// Every variable of every template and the system prompt.
    public var variables: [String] {
        var names = Self.variables(in: system)
        for key in templates.keys.sorted() { names += Self.variables(in: templates[key]!).filter { !names.contains($0) } }
        return names
    }

    /// The template `name` with its holes filled; a hole without a value, or a template that does not exist, is an
    /// error (a prompt is never sent with `{{document}}` in it).
    public func render(_ name: String, _ values: [String: String]) throws -> String {
        guard let template = templates[name] else {
            throw PromptError("prompt \(id) has no template \(name) (it has \(templates.keys.sorted().joined(separator: ", ")))")
        }
        return try Self.fill(template, values, prompt: id)
    }

    /// The system prompt with its holes filled.
    public func renderSystem(_ values: [String: String] = [:]) throws -> String { try Self.fill(system, values, prompt: id) }

    static func fill(_ template: String, _ values: [String: String], prompt: String) throws -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            output += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let value = values[name] else { throw PromptError("prompt \(prompt) needs a value for {{\(name)}}") }
            output += value
            rest = rest[close.upperBound...]
        }
        return output + rest
    }
}

/// A prompt that cannot be read or filled in.
public struct PromptError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
