import CentaurCore
import Foundation
import Yams

extension EvalSuite {
    /// Reads a suite file; relative `file://` paths are resolved against its folder.
    /// - Parameter dataset: loads `centaur:dataset:TYPE` test sources (the CLI opens the store).
    public static func load(path: String, dataset: ((String) throws -> [TestCase])? = nil) throws -> EvalSuite {
        let url = URL(fileURLWithPath: path)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw EvalSuiteError("cannot read the suite \(path)") }
        return try EvalSuite(yaml: text, source: path, baseDirectory: url.deletingLastPathComponent(), dataset: dataset)
    }

    public init(yaml: String, source: String = "suite", baseDirectory: URL, dataset: ((String) throws -> [TestCase])? = nil) throws {
        let root: JSONValue
        do { root = try Self.json(from: try Yams.load(yaml: yaml) as Any) } catch let error as EvalSuiteError { throw error } catch {
            throw EvalSuiteError("\(source): not valid YAML: \(error)")
        }
        guard case .object(let top) = root else { throw EvalSuiteError("\(source): expected a mapping at the top level") }
        let known: Set<String> = ["description", "prompts", "providers", "tests", "defaultTest", "repeat", "schema", "outputPath", "sharing", "evaluateOptions"]
        if let unknown = top.keys.first(where: { !known.contains($0) }) {
            throw EvalSuiteError("\(source): unknown key '\(unknown)'; supported: \(known.sorted().joined(separator: ", "))")
        }
        self.baseDirectory = baseDirectory
        description = top["description"]?.stringValue ?? URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        repeatCount = max(1, top["repeat"]?.intValue ?? 1)

        // Prompts
        var prompts: [Prompt] = []
        for (index, item) in Self.list(top["prompts"]).enumerated() {
            switch item {
            case .string(let text):
                let template = try Self.text(of: text, base: baseDirectory)
                prompts.append(Prompt(label: text.hasPrefix("file://") ? text : "prompt \(index + 1)", template: template))
            case .object(let object):
                guard let raw = object["raw"]?.stringValue ?? object["id"]?.stringValue else { throw EvalSuiteError("\(source): prompts[\(index)] needs raw or id") }
                prompts.append(Prompt(label: object["label"]?.stringValue ?? "prompt \(index + 1)", template: try Self.text(of: raw, base: baseDirectory)))
            default:
                throw EvalSuiteError("\(source): prompts[\(index)] must be a string or {raw, label}")
            }
        }
        if prompts.isEmpty { prompts = [Prompt(label: "prompt 1", template: "{{prompt}}")] }
        self.prompts = prompts

        // Providers
        var providers: [ProviderSpec] = []
        for (index, item) in Self.list(top["providers"]).enumerated() {
            switch item {
            case .string(let id): providers.append(ProviderSpec(id: id, label: id, config: [:]))
            case .object(let object):
                guard let id = object["id"]?.stringValue else { throw EvalSuiteError("\(source): providers[\(index)] needs an id") }
                providers.append(ProviderSpec(id: id, label: object["label"]?.stringValue ?? id, config: object["config"]?.objectValue ?? [:]))
            default: throw EvalSuiteError("\(source): providers[\(index)] must be an id or {id, label, config}")
            }
        }
        guard !providers.isEmpty else { throw EvalSuiteError("\(source): list at least one provider") }
        self.providers = providers

        // Schema (extension): a JSON Schema, a file, or a document type id.
        schema = nil
        documentType = nil
        if let schemaNode = top["schema"] {
            if let name = schemaNode.stringValue, !name.hasPrefix("file://") {
                documentType = name
            } else if let path = schemaNode.stringValue {
                schema = try JSONValue(parsing: Data(try Self.text(of: path, base: baseDirectory).utf8))
            } else {
                schema = schemaNode
            }
        }

        // Tests
        let defaults = try top["defaultTest"].map { try Self.testCase($0, source: "\(source): defaultTest") }
        var tests: [TestCase] = []
        let testItems: [JSONValue] = top["tests"].map { node in
            if case .array(let items) = node { return items }
            return [node]
        } ?? []
        for (index, item) in testItems.enumerated() {
            if let reference = item.stringValue {
                if reference.hasPrefix("centaur:dataset:") {
                    guard let dataset else { throw EvalSuiteError("\(source): \(reference) needs a Centaur data directory") }
                    tests += try dataset(String(reference.dropFirst("centaur:dataset:".count)))
                } else {
                    tests += try Self.tests(fromFile: reference, base: baseDirectory)
                }
            } else {
                tests.append(try Self.testCase(item, source: "\(source): tests[\(index)]"))
            }
        }
        if tests.isEmpty { tests = [TestCase(description: nil, vars: [:], assertions: [], threshold: nil, repeatCount: nil)] }
        if let defaults {
            tests = tests.map { test in
                var merged = test
                merged.vars = defaults.vars.merging(test.vars) { _, own in own }
                merged.assertions = defaults.assertions + test.assertions
                merged.threshold = test.threshold ?? defaults.threshold
                return merged
            }
        }
        self.tests = tests
    }

    static func list(_ value: JSONValue?) -> [JSONValue] {
        guard let value else { return [] }
        if case .array(let items) = value { return items }
        return [value]
    }

    static func text(of reference: String, base: URL) throws -> String {
        guard reference.hasPrefix("file://") else { return reference }
        let url = resolve(reference, base: base)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw EvalSuiteError("cannot read \(url.path)") }
        return text
    }

    /// `file://relative/path` → an absolute URL against the suite's folder.
    public static func resolve(_ reference: String, base: URL) -> URL {
        let path = reference.hasPrefix("file://") ? String(reference.dropFirst(7)) : reference
        return path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path).standardizedFileURL
    }

    static func testCase(_ node: JSONValue, source: String) throws -> TestCase {
        guard case .object(let object) = node else { throw EvalSuiteError("\(source): expected a mapping") }
        var assertions: [AssertionSpec] = []
        for (index, item) in list(object["assert"]).enumerated() {
            guard case .object(let a) = item, let type = a["type"]?.stringValue else {
                throw EvalSuiteError("\(source).assert[\(index)]: needs a type")
            }
            let spec = AssertionSpec(type: type, value: a["value"], threshold: a["threshold"]?.doubleValue, weight: a["weight"]?.doubleValue ?? 1,
                                     provider: a["provider"]?.stringValue, metric: a["metric"]?.stringValue)
            guard AssertionRegistry.knows(spec.type) else {
                throw EvalSuiteError("\(source).assert[\(index)]: unknown assertion type '\(type)'; supported: \(AssertionRegistry.builtInTypes.joined(separator: ", ")) (each also as not-TYPE)")
            }
            assertions.append(spec)
        }
        return TestCase(description: object["description"]?.stringValue, vars: object["vars"]?.objectValue ?? [:], assertions: assertions,
                        threshold: object["threshold"]?.doubleValue, repeatCount: object["repeat"]?.intValue)
    }

    /// Test cases from a CSV (`__expected*` and `__description` columns), JSONL or JSON array file.
    static func tests(fromFile reference: String, base: URL) throws -> [TestCase] {
        let url = resolve(reference, base: base)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw EvalSuiteError("cannot read tests from \(url.path)") }
        let text = String(decoding: data, as: UTF8.self)
        switch url.pathExtension.lowercased() {
        case "csv":
            let rows = CSV.parse(text)
            guard let header = rows.first else { return [] }
            return try rows.dropFirst().filter { !($0.count == 1 && $0[0].isEmpty) }.map { row in
                var vars: [String: JSONValue] = [:]
                var assertions: [AssertionSpec] = []
                var description: String?
                for (index, name) in header.enumerated() {
                    let cell = index < row.count ? row[index] : ""
                    if name.hasPrefix("__expected") { if !cell.isEmpty { assertions.append(try expected(cell)) } }
                    else if name == "__description" { description = cell }
                    else { vars[name] = .string(cell) }
                }
                return TestCase(description: description, vars: vars, assertions: assertions, threshold: nil, repeatCount: nil)
            }
        case "jsonl":
            return try text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.enumerated().map { index, line in
                try record(try JSONValue(parsing: String(line)), source: "\(url.lastPathComponent):\(index + 1)")
            }
        case "json":
            guard case .array(let items) = try JSONValue(parsing: data) else { throw EvalSuiteError("\(url.path): expected a JSON array") }
            return try items.enumerated().map { index, item in try record(item, source: "\(url.lastPathComponent)[\(index)]") }
        case "yaml", "yml":
            let node = try json(from: try Yams.load(yaml: text) as Any)
            return try list(node).enumerated().map { index, item in try testCase(item, source: "\(url.lastPathComponent)[\(index)]") }
        default:
            throw EvalSuiteError("\(url.path): tests files must be .csv, .jsonl, .json or .yaml")
        }
    }

    /// A JSONL/JSON record: a test case when it has `vars`, else its fields are the vars.
    static func record(_ value: JSONValue, source: String) throws -> TestCase {
        if value["vars"] != nil || value["assert"] != nil { return try testCase(value, source: source) }
        guard case .object(let vars) = value else { throw EvalSuiteError("\(source): expected an object") }
        return TestCase(description: nil, vars: vars, assertions: [], threshold: nil, repeatCount: nil)
    }

    /// promptfoo's `__expected` shorthand: `contains: x`, `not-icontains: x`, `is-json`, `regex: ^a`; otherwise equals.
    static func expected(_ cell: String) throws -> AssertionSpec {
        let trimmed = cell.trimmingCharacters(in: .whitespaces)
        if let colon = trimmed.firstIndex(of: ":") {
            let type = String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)
            let base = type.hasPrefix("not-") ? String(type.dropFirst(4)) : type
            if AssertionRegistry.knows(base) {
                let value = String(trimmed[trimmed.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                if ["contains-any", "contains-all", "icontains-any", "icontains-all"].contains(base) {
                    return AssertionSpec(type: type, value: .array(value.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }))
                }
                if ["cost", "latency", "levenshtein"].contains(base), let number = Double(value) { return AssertionSpec(type: type, threshold: number) }
                return AssertionSpec(type: type, value: value.isEmpty ? nil : .string(value))
            }
        }
        if AssertionRegistry.knows(trimmed) || (trimmed.hasPrefix("not-") && AssertionRegistry.knows(String(trimmed.dropFirst(4)))) {
            return AssertionSpec(type: trimmed)
        }
        return AssertionSpec(type: "equals", value: .string(cell))
    }

    /// Yams' values as JSON.
    static func json(from any: Any) throws -> JSONValue {
        switch any {
        case let value as String: return .string(value)
        case let value as Bool: return .bool(value)
        case let value as Int: return .number(Double(value))
        case let value as Double: return .number(value)
        case let value as [Any]: return .array(try value.map(json))
        case let value as [String: Any]: return .object(try value.mapValues(json))
        case let value as [AnyHashable: Any]:
            var object: [String: JSONValue] = [:]
            for (key, item) in value { object["\(key)"] = try json(from: item) }
            return .object(object)
        case is NSNull: return .null
        case Optional<Any>.none: return .null
        default: return .string("\(any)")
        }
    }
}

/// A small RFC 4180 reader: quoted fields, doubled quotes, newlines inside quotes.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.makeIterator()
        var pending: Character?
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.append(c) }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\n", "\r\n": row.append(field); rows.append(row); row = []; field = ""
            case "\r": break
            default: field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
