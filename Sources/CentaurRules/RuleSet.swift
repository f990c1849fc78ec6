import CentaurCore
import CentaurExtraction
import Foundation
import Yams

/// How serious a fired rule is: `info` is shown, `review` sends the application to a human, `block`
/// stops it (a human still confirms).
public enum RuleSeverity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case info, review, block

    public static func < (lhs: RuleSeverity, rhs: RuleSeverity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One rule: data from a YAML rule set, parsed and type-checked at load time.
public struct Rule: Sendable, Hashable {
    public let id: String
    public let version: Int
    public let severity: RuleSeverity
    public let description: String
    /// The source of the `when` expression: the rule fires when it is true.
    public let source: String
    public let expression: RuleExpression
}

/// What one rule said about one applicant.
public struct RuleResult: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable {
        case fired
        case passed
        /// A field the rule needs is absent from the documents.
        case notApplicable = "not_applicable"
    }

    public let rule: String
    public let version: Int
    public let severity: RuleSeverity
    public let description: String
    public let outcome: Outcome
    /// The values of the fields the rule read (missing ones as null).
    public let evidence: [String: JSONValue]
}

/// The facts rules read: each document's normalised fields under its namespace, the review date and
/// the application's settings.
///
/// Namespaces: `license` (us-drivers-license), `i9` (form-i9), `pay_stub`, `bank_statement`,
/// `application` (`date`, `market_state`, `minimum_age`) and `documents` (`text`: every document's text, for
/// instruction-like content).
public struct RuleFacts: Sendable, Hashable {
    public var documents: [String: [String: JSONValue]]
    public var today: String
    public var marketState: String?
    public var minimumAge: Int
    public var documentText: String?

    public init(documents: [String: [String: JSONValue]] = [:], today: String, marketState: String? = nil,
                minimumAge: Int = 21, documentText: String? = nil) {
        self.documents = documents
        self.today = today
        self.marketState = marketState
        self.minimumAge = minimumAge
        self.documentText = documentText
    }

    /// The namespace of a document type in rules.
    public static func namespace(of type: DocumentType) -> String {
        switch type.id {
        case "us-drivers-license": "license"
        case "form-i9": "i9"
        default: type.id.replacingOccurrences(of: "-", with: "_")
        }
    }

    /// A clean applicant (licence + I-9, every driver-onboarding rule passes); benchmarks and tests start from it.
    public static let sampleApplicant = RuleFacts(
        documents: [
            "license": [
                "first_name": "JANE", "middle_name": "QUINN", "last_name": "SAMPLETON", "date_of_birth": "1990-04-12",
                "issue_date": "2021-04-12", "expiration_date": "2029-04-12", "revision_date": "2020-01-01",
                "under_21_until": "2011-04-12", "jurisdiction": "IL", "id_number": "S25513290412", "issuer_iin": "636035",
                "limited_duration": false, "sex": "FEMALE", "street1": "742 Example Street", "city": "Springfield",
                "postal_code": "62704", "country": "USA",
            ],
            "i9": [
                "last_name": "SAMPLETON", "first_name": "JANE", "middle_initial": "Q", "street": "742 Example Street",
                "city": "Springfield", "state": "IL", "zip_code": "62704", "date_of_birth": "1990-04-12", "ssn": "773748092",
                "citizenship_status": 1, "status_boxes_checked": 1, "employee_signature": "Jane Q. Sampleton",
                "employee_signature_date": "2026-10-05", "list_b_title": "Driver's License", "list_b_issuer": "State of Illinois",
                "list_b_number": "S25513290412", "list_b_expiration_date": "2029-04-12", "list_c_title": "Social Security Card",
                "list_c_issuer": "Social Security Administration", "list_c_number": "773748092",
                "first_day_employed": "2026-10-05", "employer_signature": "Robin Examplar", "employer_signature_date": "2026-10-07",
            ],
        ],
        today: "2026-11-23", marketState: "IL", documentText: "DRIVER LICENSE ILLINOIS SAMPLETON JANE")
}

/// A named, versioned set of rules loaded from YAML.
///
/// ```yaml
/// id: driver-onboarding
/// version: 1
/// rules:
///   - id: applicant_under_minimum_age
///     version: 1
///     severity: block
///     description: The applicant is younger than the market's minimum driver age.
///     when: age_on(license.date_of_birth, today()) < application.minimum_age
/// ```
public struct RuleSet: Sendable {
    public let id: String
    public let version: Int
    public let description: String
    public let rules: [Rule]
    /// The evidence an automatic approval needs (the rule set's `approval:` section).
    public let approval: ApprovalRequirements

    /// The types of every field rules may read, by `namespace.field`.
    public static let fieldTypes: [String: RuleType] = {
        var types: [String: RuleType] = [:]
        for type in DocumentType.builtIn {
            let namespace = RuleFacts.namespace(of: type)
            for field in type.fields {
                let ruleType: RuleType = switch field.kind {
                case .name, .text, .identifier, .code: .string
                case .date: .date
                case .integer, .number, .money: .number
                case .boolean: .bool
                }
                types["\(namespace).\(field.name)"] = ruleType
            }
        }
        for derived in derivedNames.keys { types[derived] = .name }
        types["application.date"] = .date
        types["application.market_state"] = .string
        types["application.minimum_age"] = .number
        types["documents.text"] = .string
        return types
    }()

    /// Name-typed fields made from other fields: (first, middle, last, other last names) or one free-text name.
    static let derivedNames: [String: (first: String, middle: String?, last: String, other: String?)] = [
        "license.full_name": ("first_name", "middle_name", "last_name", nil),
        "i9.full_name": ("first_name", "middle_initial", "last_name", "other_last_names"),
        "pay_stub.employee_full_name": ("employee_name", nil, "", nil),
        "bank_statement.holder_full_name": ("account_holder", nil, "", nil),
    ]

    public init(id: String, version: Int, description: String, rules: [Rule], approval: ApprovalRequirements = ApprovalRequirements()) {
        self.id = id; self.version = version; self.description = description; self.rules = rules; self.approval = approval
    }

    /// Loads and type-checks a YAML rule set. A rule that does not parse or type-check throws, naming the rule
    /// and column.
    public init(yaml: String, source: String = "rules") throws {
        let loaded: Any?
        do { loaded = try Yams.load(yaml: yaml) } catch { throw RuleSetError("\(source): not valid YAML: \(error)") }
        guard let top = loaded as? [String: Any] else { throw RuleSetError("\(source): a rule set is a mapping with id, version and rules") }
        guard let id = top["id"] as? String else { throw RuleSetError("\(source): missing \"id\"") }
        guard let version = top["version"] as? Int else { throw RuleSetError("\(source): missing integer \"version\"") }
        guard let entries = top["rules"] as? [[String: Any]] else { throw RuleSetError("\(source): \"rules\" must be a list of mappings") }
        var rules: [Rule] = []
        var seen: Set<String> = []
        for (index, entry) in entries.enumerated() {
            guard let ruleID = entry["id"] as? String, !ruleID.isEmpty else { throw RuleSetError("\(source): rule #\(index + 1) has no id") }
            guard seen.insert(ruleID).inserted else { throw RuleSetError("\(source): rule \(ruleID) is defined twice") }
            guard let severityName = entry["severity"] as? String, let severity = RuleSeverity(rawValue: severityName) else {
                throw RuleError(rule: ruleID, position: nil, message: "severity must be one of info, review, block")
            }
            guard let when = entry["when"] as? String else { throw RuleError(rule: ruleID, position: nil, message: "missing \"when\" expression") }
            let expression = try RuleParser.parse(when, rule: ruleID)
            let type = try Self.check(expression, rule: ruleID)
            guard type == .bool else {
                throw RuleError(rule: ruleID, position: expression.position, message: "a rule's expression must be bool, this one is \(type)")
            }
            rules.append(Rule(id: ruleID, version: entry["version"] as? Int ?? 1, severity: severity,
                              description: entry["description"] as? String ?? ruleID, source: when, expression: expression))
        }
        let approval = try ApprovalRequirements(yaml: top["approval"], rules: rules, source: source)
        self.init(id: id, version: version, description: top["description"] as? String ?? "", rules: rules, approval: approval)
    }

    /// A rule set that ships with Centaur: `driver-onboarding` or `mortgage`.
    public static func builtIn(named name: String) throws -> RuleSet {
        guard let url = Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "rules") else {
            throw RuleSetError("unknown rule set \"\(name)\"; built in: driver-onboarding, mortgage")
        }
        return try RuleSet(yaml: String(contentsOf: url, encoding: .utf8), source: "\(name).yaml")
    }

    /// A built-in rule set by name, or a YAML file by path (a name ending in `.yaml`/`.yml` or holding `/`).
    public static func load(_ nameOrPath: String) throws -> RuleSet {
        guard nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") || nameOrPath.contains("/") else {
            return try builtIn(named: nameOrPath)
        }
        guard let text = try? String(contentsOfFile: nameOrPath, encoding: .utf8) else {
            throw RuleSetError("\(nameOrPath): cannot read the rule file")
        }
        return try RuleSet(yaml: text, source: nameOrPath)
    }

    // MARK: - Type checking

    static func check(_ expression: RuleExpression, rule: String) throws(RuleError) -> RuleType {
        func fail(_ at: Int, _ message: String) -> RuleError { RuleError(rule: rule, position: at, message: message) }
        switch expression {
        case .number: return .number
        case .string: return .string
        case .bool: return .bool
        case .field(let namespace, let name, let at):
            guard let type = fieldTypes["\(namespace).\(name)"] else {
                let namespaces = Set(fieldTypes.keys.map { String($0.split(separator: ".")[0]) })
                if !namespaces.contains(namespace) {
                    throw fail(at, "unknown namespace '\(namespace)' (known: \(namespaces.sorted().joined(separator: ", ")))")
                }
                throw fail(at, "unknown field '\(namespace).\(name)'")
            }
            return type
        case .call(let name, let arguments, let at):
            guard let function = RuleFunctions.all[name] else {
                throw fail(at, "unknown function '\(name)' (known: \(RuleFunctions.all.keys.sorted().joined(separator: ", ")))")
            }
            guard arguments.count == function.parameters.count else {
                throw fail(at, "\(name) takes \(function.parameters.count) argument(s), given \(arguments.count)")
            }
            for (argument, parameter) in zip(arguments, function.parameters) {
                let type = try check(argument, rule: rule)
                guard parameter.accepts(type) else {
                    throw fail(argument.position, "\(name) expects \(parameter) here, given \(type)")
                }
            }
            return function.result
        case .list(let items, let at):
            guard let first = items.first else { return .list(.any) }
            let type = try check(first, rule: rule)
            for item in items.dropFirst() {
                let other = try check(item, rule: rule)
                guard type.accepts(other) else { throw fail(item.position, "a list holds one type: \(type), not \(other)") }
            }
            _ = at
            return .list(type)
        case .unary(let op, let operand, let at):
            let type = try check(operand, rule: rule)
            let expected: RuleType = op == "not" ? .bool : .number
            guard expected.accepts(type) else { throw fail(at, "'\(op)' needs \(expected), given \(type)") }
            return expected
        case .binary(let op, let lhs, let rhs, let at):
            let left = try check(lhs, rule: rule), right = try check(rhs, rule: rule)
            switch op {
            case "and", "or":
                guard left == .bool, right == .bool else { throw fail(at, "'\(op)' needs bool on both sides, given \(left) and \(right)") }
                return .bool
            case "==", "!=":
                guard left.accepts(right) else { throw fail(at, "cannot compare \(left) with \(right)") }
                return .bool
            case "<", "<=", ">", ">=":
                guard left.accepts(right), [.number, .date, .string].contains(left) else {
                    throw fail(at, "'\(op)' orders numbers, dates or strings, given \(left) and \(right)")
                }
                return .bool
            case "in":
                guard case .list(let element) = right, element.accepts(left) else { throw fail(at, "'in' needs a list of \(left) on its right, given \(right)") }
                return .bool
            default:
                if op == "-", left == .date, right == .date { return .number }
                guard left == .number, right == .number else { throw fail(at, "'\(op)' needs numbers, given \(left) and \(right)") }
                return .number
            }
        }
    }

    // MARK: - Evaluation

    /// Runs every rule over the facts.
    public func evaluate(_ facts: RuleFacts) -> [RuleResult] {
        let context = RuleContext(today: RuleCalendar.day(facts.today) ?? 0)
        var cache: [String: RuleValue] = [:]
        func lookup(_ path: String) -> RuleValue {
            if let cached = cache[path] { return cached }
            let value = Self.value(of: path, in: facts)
            cache[path] = value
            return value
        }
        return rules.map { rule in
            // A rule about a document the applicant has not given does not apply (missing(i9.x) is not "fired").
            let absent = rule.expression.fields.contains { path in
                let namespace = String(path.prefix { $0 != "." })
                return namespace != "application" && namespace != "documents" && facts.documents[namespace] == nil
            }
            let result = absent ? .missing : Self.evaluate(rule.expression, lookup: lookup, context: context)
            let outcome: RuleResult.Outcome = switch result {
            case .bool(true): .fired
            case .bool(false): .passed
            default: .notApplicable
            }
            var evidence: [String: JSONValue] = [:]
            for path in rule.expression.fields { evidence[path] = lookup(path).json }
            return RuleResult(rule: rule.id, version: rule.version, severity: rule.severity,
                              description: rule.description, outcome: outcome, evidence: evidence)
        }
    }

    static func value(of path: String, in facts: RuleFacts) -> RuleValue {
        switch path {
        case "application.date": return RuleCalendar.day(facts.today).map(RuleValue.date) ?? .missing
        case "application.market_state": return facts.marketState.map(RuleValue.string) ?? .missing
        case "application.minimum_age": return .number(Double(facts.minimumAge))
        case "documents.text": return facts.documentText.map(RuleValue.string) ?? .missing
        default: break
        }
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, let document = facts.documents[parts[0]] else { return .missing }
        if let derived = derivedNames[path] {
            guard let first = document[derived.first]?.stringValue else { return .missing }
            if derived.last.isEmpty {
                // One free-text name: "JANE Q SAMPLETON" → first, middle, last.
                let words = first.split(separator: " ").map(String.init)
                guard words.count >= 2 else { return .missing }
                return .name(.init(first: words[0], middle: words.count > 2 ? words[1..<(words.count - 1)].joined(separator: " ") : nil, last: words.last!))
            }
            guard let last = document[derived.last]?.stringValue else { return .missing }
            let middle = derived.middle.flatMap { document[$0]?.stringValue }
            let other = derived.other.flatMap { document[$0]?.stringValue }.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
            return .name(.init(first: first, middle: middle, last: last, otherLast: other))
        }
        guard let raw = document[parts[1]], let type = fieldTypes[path] else { return .missing }
        switch (type, raw) {
        case (.date, .string(let s)): return (Normalizer.isoDate(s).flatMap(RuleCalendar.day)).map(RuleValue.date) ?? .missing
        case (.number, .number(let n)): return .number(n)
        case (.number, .string(let s)): return Normalizer.money(s).map(RuleValue.number) ?? .missing
        case (.bool, .bool(let b)): return .bool(b)
        case (.string, .string(let s)): return .string(s)
        case (.string, .number(let n)): return .string(JSONValue.number(n).jsonString())
        default: return .missing
        }
    }

    static func evaluate(_ expression: RuleExpression, lookup: (String) -> RuleValue, context: RuleContext) -> RuleValue {
        switch expression {
        case .number(let n, _): return .number(n)
        case .string(let s, _): return .string(s)
        case .bool(let b, _): return .bool(b)
        case .field(let namespace, let name, _): return lookup("\(namespace).\(name)")
        case .list(let items, _): return .list(items.map { evaluate($0, lookup: lookup, context: context) })
        case .call(let name, let arguments, _):
            let function = RuleFunctions.all[name]!
            let values = arguments.map { evaluate($0, lookup: lookup, context: context) }
            if !function.acceptsMissing, values.contains(.missing) { return .missing }
            return function.body(values, context)
        case .unary(let op, let operand, _):
            let value = evaluate(operand, lookup: lookup, context: context)
            switch (op, value) {
            case ("not", .bool(let b)): return .bool(!b)
            case ("-", .number(let n)): return .number(-n)
            default: return .missing
            }
        case .binary(let op, let lhs, let rhs, _):
            let left = evaluate(lhs, lookup: lookup, context: context)
            if op == "and", left == .bool(false) { return .bool(false) }
            if op == "or", left == .bool(true) { return .bool(true) }
            let right = evaluate(rhs, lookup: lookup, context: context)
            switch op {
            case "and":
                if right == .bool(false) { return .bool(false) }
                return left == .bool(true) && right == .bool(true) ? .bool(true) : .missing
            case "or":
                if right == .bool(true) { return .bool(true) }
                return left == .bool(false) && right == .bool(false) ? .bool(false) : .missing
            default: break
            }
            if left == .missing || right == .missing { return .missing }
            switch op {
            case "==": return .bool(equal(left, right))
            case "!=": return .bool(!equal(left, right))
            case "<", "<=", ">", ">=":
                guard let order = compare(left, right) else { return .missing }
                switch op {
                case "<": return .bool(order < 0)
                case "<=": return .bool(order <= 0)
                case ">": return .bool(order > 0)
                default: return .bool(order >= 0)
                }
            case "in":
                guard case .list(let items) = right else { return .missing }
                return .bool(items.contains { equal(left, $0) })
            default:
                if op == "-", case .date(let a) = left, case .date(let b) = right { return .number(Double(a - b)) }
                guard case .number(let a) = left, case .number(let b) = right else { return .missing }
                switch op {
                case "+": return .number(a + b)
                case "-": return .number(a - b)
                case "*": return .number(a * b)
                default: return b == 0 ? .missing : .number(a / b)
                }
            }
        }
    }

    /// Strings compare case-insensitively and ignoring spaces and dashes (identifiers print both ways).
    private static func equal(_ a: RuleValue, _ b: RuleValue) -> Bool {
        if case .string(let x) = a, case .string(let y) = b { return comparable(x) == comparable(y) }
        if case .number(let x) = a, case .number(let y) = b { return abs(x - y) < 1e-9 }
        return a == b
    }

    private static func comparable(_ s: String) -> String { s.uppercased().filter { $0 != " " && $0 != "-" } }

    private static func compare(_ a: RuleValue, _ b: RuleValue) -> Int? {
        switch (a, b) {
        case (.number(let x), .number(let y)): x < y ? -1 : (x > y ? 1 : 0)
        case (.date(let x), .date(let y)): x < y ? -1 : (x > y ? 1 : 0)
        case (.string(let x), .string(let y)): x < y ? -1 : (x > y ? 1 : 0)
        default: nil
        }
    }
}

public struct RuleSetError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension RuleFacts {
    /// Facts from reconciled documents: each under its type's namespace; every document's text joined for
    /// the instruction-text check.
    public init(documents: [ReconciledDocument], today: String, marketState: String? = nil, minimumAge: Int = 21) {
        var namespaces: [String: [String: JSONValue]] = [:]
        for document in documents {
            guard let type = try? DocumentType.named(document.documentType) else { continue }
            namespaces[RuleFacts.namespace(of: type), default: [:]].merge(document.fields) { current, _ in current }
        }
        // Every field of every source too, whatever its length: a long value in a narrow form field is cut from
        // the page's printed text but not from the field.
        var parts = documents.compactMap(\.text)
        for document in documents {
            for (name, value) in document.fields.sorted(by: { $0.key < $1.key }) {
                if let string = value.stringValue { parts.append(string) }
                for provenance in document.provenance[name] ?? [] { if let raw = provenance.raw, raw != value.stringValue { parts.append(raw) } }
            }
        }
        let text = parts.joined(separator: "\n")
        self.init(documents: namespaces, today: today, marketState: marketState, minimumAge: minimumAge,
                  documentText: text.isEmpty ? nil : text)
    }
}
