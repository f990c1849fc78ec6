import CentaurCore
import Foundation

/// `{{name}}` and `{{ a.b }}` substitution; a value that is only one placeholder becomes the variable itself.
public enum Template {
    public static func render(_ template: String, vars: [String: JSONValue]) -> String {
        guard template.contains("{{") else { return template }
        var result = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { result += rest[open.lowerBound...]; return result }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if let value = lookup(name, vars) { result += value.stringValue ?? value.jsonString() }
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    public static func render(_ value: JSONValue, vars: [String: JSONValue]) -> JSONValue {
        switch value {
        case .string(let s):
            let trimmed = s.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.components(separatedBy: "{{").count == 2,
               let whole = lookup(String(trimmed.dropFirst(2).dropLast(2)).trimmingCharacters(in: .whitespaces), vars) {
                return whole
            }
            return .string(render(s, vars: vars))
        case .array(let items): return .array(items.map { render($0, vars: vars) })
        case .object(let fields): return .object(fields.mapValues { render($0, vars: vars) })
        default: return value
        }
    }

    static func lookup(_ path: String, _ vars: [String: JSONValue]) -> JSONValue? {
        let parts = path.split(separator: ".").map(String.init)
        guard let first = parts.first, var value = vars[first] else { return nil }
        for part in parts.dropFirst() {
            if let index = Int(part), let item = value.arrayValue?[safe: index] { value = item; continue }
            guard let next = value[part] else { return nil }
            value = next
        }
        return value
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
