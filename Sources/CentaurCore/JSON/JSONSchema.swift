import Foundation

/// A JSON Schema (the draft 2020-12 keywords that structured output uses) and its validator.
///
/// Supported keywords: `type`, `properties`, `required`, `additionalProperties`, `enum`, `const`,
/// `pattern`, `format` (`date`, `date-time`, `email`), `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum`, `minLength`, `maxLength`, `items`, `minItems`, `maxItems`, `anyOf`, `oneOf`,
/// `allOf`, `not`, and local `$ref`s (`#/$defs/…`, `#/definitions/…`). Unknown keywords are ignored,
/// as the specification says.
///
/// ```swift
/// let schema = try JSONSchema(parsing: #"{"type":"object","required":["name"]}"#)
/// let violations = schema.validate(["age": 3])   // [$: missing required property 'name']
/// ```
public struct JSONSchema: Sendable, Hashable {
    /// The schema document.
    public let value: JSONValue

    public init(_ value: JSONValue) {
        self.value = value
    }

    public init(parsing text: String) throws {
        self.value = try JSONValue(parsing: text)
    }

    /// Every way `instance` fails this schema; empty when it is valid.
    public func validate(_ instance: JSONValue) -> [SchemaViolation] {
        var validator = Validator(root: value)
        validator.check(instance, against: value, path: "$")
        return validator.violations
    }

    /// Whether `instance` is valid.
    public func isValid(_ instance: JSONValue) -> Bool {
        validate(instance).isEmpty
    }

    /// Throws ``ModelError/Kind/schemaViolation`` listing every violation when `instance` is invalid.
    public func enforce(_ instance: JSONValue, provider: String? = nil) throws {
        let violations = validate(instance)
        if !violations.isEmpty { throw ModelError.schemaViolation(violations, provider: provider) }
    }
}

/// One way an instance fails a schema, located by a JSONPath such as `$.items[2].date_of_birth`.
extension JSONSchema {
    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "integer", "string"]
    static let schemaMaps = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]
    static let schemaLists = ["allOf", "anyOf", "oneOf", "prefixItems"]
    static let singleSchemas = ["items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"]

    /// What makes `value` no JSON Schema, each as `path: problem` (empty when it is one): a schema is an object or a
    /// boolean; `type` names JSON types; `required` and `enum` are arrays; the keywords that hold schemas hold schemas.
    /// The keywords this validator checks are held to their meaning, so a schema it cannot apply is refused up front.
    public static func problems(in value: JSONValue, path: String = "$") -> [String] {
        if value.boolValue != nil { return [] }
        guard let object = value.objectValue else { return ["\(path): a JSON Schema is an object or a boolean"] }
        var problems: [String] = []
        if let type = object["type"] {
            let names = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue)
            if names == nil || names!.isEmpty || names!.count != (type.arrayValue?.count ?? 1) || !names!.allSatisfy(typeNames.contains) {
                problems.append("\(path).type: expected one of \(typeNames.sorted().joined(separator: ", ")) or a list of them")
            }
        }
        if let required = object["required"], required.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
            problems.append("\(path).required: expected a list of property names")
        }
        if let options = object["enum"], options.arrayValue == nil { problems.append("\(path).enum: expected a list") }
        for key in schemaMaps {
            guard let map = object[key] else { continue }
            guard let entries = map.objectValue else { problems.append("\(path).\(key): expected an object of schemas"); continue }
            for (name, schema) in entries.sorted(by: { $0.key < $1.key }) { problems += Self.problems(in: schema, path: "\(path).\(key).\(name)") }
        }
        for key in schemaLists {
            guard let list = object[key] else { continue }
            guard let items = list.arrayValue else { problems.append("\(path).\(key): expected a list of schemas"); continue }
            for (index, schema) in items.enumerated() { problems += Self.problems(in: schema, path: "\(path).\(key)[\(index)]") }
        }
        for key in singleSchemas {
            guard let schema = object[key] else { continue }
            if key == "items", let tuple = schema.arrayValue {  // draft 4–7 tuples
                for (index, item) in tuple.enumerated() { problems += Self.problems(in: item, path: "\(path).items[\(index)]") }
            } else {
                problems += Self.problems(in: schema, path: "\(path).\(key)")
            }
        }
        for key in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "multipleOf"] {
            if let bound = object[key], bound.doubleValue == nil { problems.append("\(path).\(key): expected a number") }
        }
        return problems
    }
}

public struct SchemaViolation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    /// The schema keyword that failed (`required`, `type`, `pattern`, …).
    public var keyword: String
    public var message: String

    public init(path: String, keyword: String, message: String) {
        self.path = path
        self.keyword = keyword
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

private struct Validator {
    let root: JSONValue
    var violations: [SchemaViolation] = []
    private var refDepth = 0

    init(root: JSONValue) {
        self.root = root
    }

    mutating func fail(_ path: String, _ keyword: String, _ message: String) {
        violations.append(SchemaViolation(path: path, keyword: keyword, message: message))
    }

    /// Validates in a scratch validator, for `anyOf`/`oneOf`/`not`.
    func violations(of instance: JSONValue, against schema: JSONValue, path: String) -> [SchemaViolation] {
        var scratch = Validator(root: root)
        scratch.refDepth = refDepth
        scratch.check(instance, against: schema, path: path)
        return scratch.violations
    }

    mutating func check(_ instance: JSONValue, against schema: JSONValue, path: String) {
        switch schema {
        case .bool(true): return
        case .bool(false):
            fail(path, "false", "no value is allowed here")
            return
        case .object: break
        default: return
        }

        if let ref = schema["$ref"]?.stringValue {
            if let target = resolve(ref), refDepth < 64 {
                refDepth += 1
                check(instance, against: target, path: path)
                refDepth -= 1
            } else {
                fail(path, "$ref", "cannot resolve reference '\(ref)'")
            }
        }

        if let type = schema["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? type.stringValue.map { [$0] } ?? []
            if !allowed.isEmpty, !allowed.contains(where: { Self.matches(instance, type: $0) }) {
                fail(path, "type", "expected \(allowed.joined(separator: " or ")), got \(Self.typeName(instance))")
                return  // the other keywords would only restate this
            }
        }

        if let options = schema["enum"]?.arrayValue, !options.contains(instance) {
            let list = options.prefix(10).map(\.description).joined(separator: ", ")
            fail(path, "enum", "\(instance.description.prefix(80)) is not one of \(list)")
        }
        if let constant = schema["const"], constant != instance {
            fail(path, "const", "expected \(constant.description.prefix(80))")
        }

        switch instance {
        case .string(let string): checkString(string, schema: schema, path: path)
        case .number(let number): checkNumber(number, schema: schema, path: path)
        case .array(let array): checkArray(array, schema: schema, path: path)
        case .object(let object): checkObject(object, schema: schema, path: path)
        default: break
        }

        if let all = schema["allOf"]?.arrayValue {
            for subschema in all { check(instance, against: subschema, path: path) }
        }
        if let any = schema["anyOf"]?.arrayValue {
            let results = any.map { violations(of: instance, against: $0, path: path) }
            if !results.contains(where: \.isEmpty) {
                let closest = results.min { $0.count < $1.count } ?? []
                let detail = closest.first.map { " (closest: \($0))" } ?? ""
                fail(path, "anyOf", "matches none of the \(any.count) allowed schemas\(detail)")
            }
        }
        if let one = schema["oneOf"]?.arrayValue {
            let matching = one.filter { violations(of: instance, against: $0, path: path).isEmpty }.count
            if matching != 1 {
                fail(path, "oneOf", "must match exactly one of \(one.count) schemas, matches \(matching)")
            }
        }
        if let not = schema["not"], violations(of: instance, against: not, path: path).isEmpty {
            fail(path, "not", "must not match the excluded schema")
        }
    }

    private func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#") else { return nil }
        var node = root
        for token in ref.dropFirst().split(separator: "/") {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let index = Int(key), let element = node[index] {
                node = element
            } else if let child = node[key.removingPercentEncoding ?? key] {
                node = child
            } else {
                return nil
            }
        }
        return node
    }

    private mutating func checkString(_ string: String, schema: JSONValue, path: String) {
        let length = string.unicodeScalars.count
        if let min = schema["minLength"]?.intValue, length < min {
            fail(path, "minLength", "must be at least \(min) characters, has \(length)")
        }
        if let max = schema["maxLength"]?.intValue, length > max {
            fail(path, "maxLength", "must be at most \(max) characters, has \(length)")
        }
        if let pattern = schema["pattern"]?.stringValue {
            if let regex = try? NSRegularExpression(pattern: pattern) {
                let range = NSRange(string.startIndex..., in: string)
                if regex.firstMatch(in: string, range: range) == nil {
                    fail(path, "pattern", "does not match the pattern \(pattern)")
                }
            } else {
                fail(path, "pattern", "the schema's pattern \(pattern) is not a valid regular expression")
            }
        }
        if let format = schema["format"]?.stringValue, let valid = Self.checkFormat(format, string), !valid {
            fail(path, "format", "is not a valid \(format)")
        }
    }

    private mutating func checkNumber(_ number: Double, schema: JSONValue, path: String) {
        if let min = schema["minimum"]?.doubleValue, number < min {
            fail(path, "minimum", "must be ≥ \(JSONValue.number(min)), is \(JSONValue.number(number))")
        }
        if let max = schema["maximum"]?.doubleValue, number > max {
            fail(path, "maximum", "must be ≤ \(JSONValue.number(max)), is \(JSONValue.number(number))")
        }
        if let min = schema["exclusiveMinimum"]?.doubleValue, number <= min {
            fail(path, "exclusiveMinimum", "must be > \(JSONValue.number(min)), is \(JSONValue.number(number))")
        }
        if let max = schema["exclusiveMaximum"]?.doubleValue, number >= max {
            fail(path, "exclusiveMaximum", "must be < \(JSONValue.number(max)), is \(JSONValue.number(number))")
        }
        if let divisor = schema["multipleOf"]?.doubleValue, divisor > 0 {
            let quotient = number / divisor
            if quotient.isFinite, abs(quotient - quotient.rounded()) > 1e-9 {
                fail(path, "multipleOf", "must be a multiple of \(JSONValue.number(divisor))")
            }
        }
    }

    private mutating func checkArray(_ array: [JSONValue], schema: JSONValue, path: String) {
        if let min = schema["minItems"]?.intValue, array.count < min {
            fail(path, "minItems", "must have at least \(min) items, has \(array.count)")
        }
        if let max = schema["maxItems"]?.intValue, array.count > max {
            fail(path, "maxItems", "must have at most \(max) items, has \(array.count)")
        }
        if schema["uniqueItems"]?.boolValue == true, Set(array).count != array.count {
            fail(path, "uniqueItems", "items must be unique")
        }
        let prefix = schema["prefixItems"]?.arrayValue ?? []
        for (index, item) in array.enumerated() {
            if index < prefix.count {
                check(item, against: prefix[index], path: "\(path)[\(index)]")
            } else if let items = schema["items"] {
                check(item, against: items, path: "\(path)[\(index)]")
            }
        }
    }

    private mutating func checkObject(_ object: [String: JSONValue], schema: JSONValue, path: String) {
        let properties = schema["properties"]?.objectValue ?? [:]
        for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
            fail(path, "required", "missing required property '\(name)'")
        }
        if let min = schema["minProperties"]?.intValue, object.count < min {
            fail(path, "minProperties", "must have at least \(min) properties")
        }
        if let max = schema["maxProperties"]?.intValue, object.count > max {
            fail(path, "maxProperties", "must have at most \(max) properties")
        }
        for key in object.keys.sorted() {
            let childPath = Self.childPath(path, key)
            if let propertySchema = properties[key] {
                check(object[key]!, against: propertySchema, path: childPath)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    fail(childPath, "additionalProperties", "property '\(key)' is not allowed")
                } else {
                    check(object[key]!, against: additional, path: childPath)
                }
            }
        }
    }

    static func childPath(_ path: String, _ key: String) -> String {
        let simple = !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !key.first!.isNumber
        if simple { return "\(path).\(key)" }
        let escaped = key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        return "\(path)['\(escaped)']"
    }

    static func matches(_ instance: JSONValue, type: String) -> Bool {
        switch (type, instance) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("number", .number):
            return true
        case ("integer", .number(let n)):
            return n.isFinite && n.rounded() == n
        default:
            return false
        }
    }

    static func typeName(_ instance: JSONValue) -> String {
        switch instance {
        case .null: "null"
        case .bool: "boolean"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        case .number(let n): n.rounded() == n ? "integer" : "number"
        }
    }

    /// `nil` for formats we do not check (the specification makes `format` an annotation by default).
    static func checkFormat(_ format: String, _ string: String) -> Bool? {
        switch format {
        case "date": return RFC3339.isFullDate(string)
        case "date-time": return RFC3339.isDateTime(string)
        case "email": return isEmail(string)
        default: return nil
        }
    }

    static func isEmail(_ string: String) -> Bool {
        let parts = string.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
            !local.isEmpty, local.count <= 64, !domain.isEmpty, !string.contains(where: \.isWhitespace)
        else { return false }
        if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") { return false }
        if domain.hasPrefix("[") && domain.hasSuffix("]") { return true }  // address literal
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }
    }
}

/// Date checks per RFC 3339 section 5.6, as JSON Schema's `date` and `date-time` formats require.
enum RFC3339 {
    static func isFullDate(_ s: String) -> Bool {
        let c = Array(s.utf8)
        guard c.count == 10, c[4] == UInt8(ascii: "-"), c[7] == UInt8(ascii: "-"),
            let year = digits(c, 0, 4), let month = digits(c, 5, 2), let day = digits(c, 8, 2)
        else { return false }
        guard (1...12).contains(month), day >= 1 else { return false }
        return day <= daysIn(month: month, year: year)
    }

    static func isDateTime(_ s: String) -> Bool {
        let c = Array(s.utf8)
        guard c.count >= 20, c[10] == UInt8(ascii: "T") || c[10] == UInt8(ascii: "t") else { return false }
        guard isFullDate(String(decoding: c[0..<10], as: UTF8.self)) else { return false }
        guard let hour = digits(c, 11, 2), c[13] == UInt8(ascii: ":"), let minute = digits(c, 14, 2),
            c[16] == UInt8(ascii: ":"), let second = digits(c, 17, 2), hour <= 23, minute <= 59, second <= 60
        else { return false }
        var i = 19
        if c[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < c.count, (48...57).contains(c[i]) { i += 1 }
            if i == start { return false }
        }
        guard i < c.count else { return false }
        if c[i] == UInt8(ascii: "Z") || c[i] == UInt8(ascii: "z") {
            return i == c.count - 1 && (second < 60 || (hour == 23 && minute == 59))
        }
        guard c[i] == UInt8(ascii: "+") || c[i] == UInt8(ascii: "-"), c.count == i + 6,
            let offsetHour = digits(c, i + 1, 2), c[i + 3] == UInt8(ascii: ":"), let offsetMinute = digits(c, i + 4, 2)
        else { return false }
        guard offsetHour <= 23, offsetMinute <= 59 else { return false }
        if second == 60 {
            // A leap second is only valid at 23:59:60 UTC.
            let sign = c[i] == UInt8(ascii: "+") ? -1 : 1
            let utcMinutes = ((hour * 60 + minute + sign * (offsetHour * 60 + offsetMinute)) % 1440 + 1440) % 1440
            return utcMinutes == 23 * 60 + 59
        }
        return true
    }

    private static func digits(_ c: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= c.count else { return nil }
        var value = 0
        for byte in c[start..<start + count] {
            guard (48...57).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
