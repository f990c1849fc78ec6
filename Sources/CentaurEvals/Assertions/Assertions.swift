import CentaurCore
import Foundation
import Synchronization
import Yams

/// What an assertion sees: the answer, the case's variables, and what the call cost.
public struct AssertionContext: Sendable {
    public var output: String
    public var vars: [String: JSONValue]
    public var prompt: String
    public var costUSD: Double?
    public var latencyMS: Double
    public var usage: Usage
    /// Asks the grading model (llm-rubric): returns its answer and cost.
    public var grade: (@Sendable (_ provider: String?, _ prompt: String) async throws -> (text: String, costUSD: Double?))?

    public init(output: String, vars: [String: JSONValue] = [:], prompt: String = "", costUSD: Double? = nil, latencyMS: Double = 0,
                usage: Usage = .zero, grade: (@Sendable (String?, String) async throws -> (text: String, costUSD: Double?))? = nil) {
        self.output = output; self.vars = vars; self.prompt = prompt; self.costUSD = costUSD; self.latencyMS = latencyMS
        self.usage = usage; self.grade = grade
    }
}

/// How one extracted field compares with the truth.
public enum FieldOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    case match, wrong
    /// Expected a value, got none.
    case missing
    /// Got a value, expected none.
    case spurious
}

/// One field of an extraction compared with the truth.
public struct FieldComparison: Sendable, Hashable, Codable {
    public var field: String
    public var expected: JSONValue
    public var actual: JSONValue
    public var outcome: FieldOutcome
}

/// The verdict of one assertion.
public struct AssertionResult: Sendable, Hashable, Codable {
    public var type: String
    public var pass: Bool
    /// 0…1.
    public var score: Double
    public var weight: Double
    public var reason: String
    /// Field-level scoring details (the `fields` assertion).
    public var fields: [FieldComparison]?
    /// What grading cost (llm-rubric).
    public var gradingCostUSD: Double?

    enum CodingKeys: String, CodingKey {
        case type, pass, score, weight, reason, fields
        case gradingCostUSD = "grading_cost_usd"
    }
}

/// A custom assertion written in Swift, registered under a type name usable in suite files.
///
/// ```swift
/// struct ShortAnswer: EvalAssertion {
///     func evaluate(_ spec: EvalSuite.AssertionSpec, _ context: AssertionContext) async throws -> (pass: Bool, score: Double, reason: String) {
///         let ok = context.output.count <= 20
///         return (ok, ok ? 1 : 0, ok ? "short" : "longer than 20 characters")
///     }
/// }
/// AssertionRegistry.register(ShortAnswer(), as: "short-answer")
/// ```
public protocol EvalAssertion: Sendable {
    func evaluate(_ spec: EvalSuite.AssertionSpec, _ context: AssertionContext) async throws -> (pass: Bool, score: Double, reason: String)
}

/// The assertion types a suite may use.
public enum AssertionRegistry {
    public static let builtInTypes = [
        "equals", "contains", "icontains", "contains-any", "contains-all", "icontains-any", "icontains-all", "regex", "starts-with",
        "is-json", "contains-json", "levenshtein", "cost", "latency", "fields", "llm-rubric", "ndcg", "recall", "mrr",
    ]
    private static let custom = Mutex<[String: any EvalAssertion]>([:])

    public static func register(_ assertion: any EvalAssertion, as type: String) {
        custom.withLock { $0[type] = assertion }
    }

    public static func knows(_ type: String) -> Bool {
        builtInTypes.contains(type) || RelevanceAssertion.parse(type) != nil || custom.withLock { $0[type] != nil }
    }

    /// Runs one assertion; `not-` inverts its verdict and score.
    public static func evaluate(_ spec: EvalSuite.AssertionSpec, _ context: AssertionContext) async -> AssertionResult {
        var result: AssertionResult
        do {
            result = try await evaluateInner(spec, context)
        } catch {
            result = AssertionResult(type: spec.displayName, pass: false, score: 0, weight: spec.weight, reason: "the assertion failed to run: \(error)")
            return result
        }
        if spec.negated {
            result.pass.toggle()
            result.score = 1 - result.score
            result.reason = (result.pass ? "as required, not: " : "expected not: ") + result.reason
        }
        return result
    }

    static func evaluateInner(_ spec: EvalSuite.AssertionSpec, _ context: AssertionContext) async throws -> AssertionResult {
        let value = spec.value.map { Template.render($0, vars: context.vars) }
        let output = context.output
        func result(_ pass: Bool, _ reason: String, score: Double? = nil) -> AssertionResult {
            AssertionResult(type: spec.displayName, pass: pass, score: score ?? (pass ? 1 : 0), weight: spec.weight, reason: reason)
        }
        func strings() -> [String] {
            switch value {
            // Items may be objects with the text in `value`, `text` or `entity_value` (labelled spans).
            case .array(let items)?: return items.map { item in
                item.stringValue ?? (item["value"] ?? item["text"] ?? item["entity_value"])?.stringValue ?? item.jsonString()
            }
            case .string(let s)?: return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            default: return []
            }
        }
        let text = value?.stringValue ?? value.map { $0.jsonString() } ?? ""
        switch spec.type {
        case "equals":
            if let value, value.stringValue == nil {
                let parsed = try? JSONValue(parsing: output)
                return result(parsed == value, parsed == value ? "the JSON equals the expected value" : "expected JSON \(value.jsonString())")
            }
            return result(output == text, output == text ? "equal" : "expected \"\(text)\", got \"\(output.prefix(200))\"")
        case "contains":
            return result(output.contains(text), "\(output.contains(text) ? "contains" : "does not contain") \"\(text)\"")
        case "icontains":
            let found = output.lowercased().contains(text.lowercased())
            return result(found, "\(found ? "contains" : "does not contain") \"\(text)\" (ignoring case)")
        case "contains-any", "icontains-any":
            let fold = spec.type.hasPrefix("i")
            let hit = strings().first { (fold ? output.lowercased() : output).contains(fold ? $0.lowercased() : $0) }
            return result(hit != nil, hit.map { "contains \"\($0)\"" } ?? "contains none of \(strings())")
        case "contains-all", "icontains-all":
            let fold = spec.type.hasPrefix("i")
            let missing = strings().filter { !(fold ? output.lowercased() : output).contains(fold ? $0.lowercased() : $0) }
            return result(missing.isEmpty, missing.isEmpty ? "contains all" : "missing \(missing)")
        case "regex":
            let regex: NSRegularExpression
            do { regex = try NSRegularExpression(pattern: text) } catch { return result(false, "invalid regular expression \(text)") }
            let matched = regex.firstMatch(in: output, range: NSRange(output.startIndex..., in: output)) != nil
            return result(matched, "\(matched ? "matches" : "does not match") /\(text)/")
        case "starts-with":
            return result(output.hasPrefix(text), "\(output.hasPrefix(text) ? "starts" : "does not start") with \"\(text)\"")
        case "is-json":
            guard let parsed = try? JSONValue(parsing: output.trimmingCharacters(in: .whitespacesAndNewlines)) else { return result(false, "the output is not JSON") }
            if let schema = try schemaValue(value) {
                let violations = JSONSchema(schema).validate(parsed)
                return result(violations.isEmpty, violations.isEmpty ? "valid JSON matching the schema" : "JSON that breaks the schema: \(violations.prefix(3).map(\.description))")
            }
            return result(true, "valid JSON")
        case "contains-json":
            let candidates = JSONExtraction.values(in: output)
            guard !candidates.isEmpty else { return result(false, "the output contains no JSON") }
            if let schema = try schemaValue(value) {
                let validator = JSONSchema(schema)
                let ok = candidates.contains { validator.validate($0).isEmpty }
                return result(ok, ok ? "contains JSON matching the schema" : "no JSON in the output matches the schema")
            }
            return result(true, "contains JSON")
        case "levenshtein":
            let limit = spec.threshold ?? 5
            let distance = Levenshtein.distance(output, text)
            return result(Double(distance) <= limit, "edit distance \(distance) (at most \(Int(limit)))")
        case "cost":
            guard let limit = spec.threshold else { return result(false, "cost needs a threshold (USD)") }
            guard let cost = context.costUSD else { return result(false, "the provider reported no cost") }
            return result(cost <= limit, String(format: "cost $%.6f (at most $%.6f)", cost, limit))
        case "latency":
            guard let limit = spec.threshold else { return result(false, "latency needs a threshold (ms)") }
            return result(context.latencyMS <= limit, String(format: "%.0f ms (at most %.0f ms)", context.latencyMS, limit))
        case "fields":
            return FieldScoring.evaluate(spec, expected: value, output: output)
        case "llm-rubric":
            return try await Rubric.evaluate(spec, rubric: text, context: context)
        case _ where RelevanceAssertion.parse(spec.type) != nil:
            return RelevanceAssertion.evaluate(spec, value: value, output: output)
        default:
            guard let custom = custom.withLock({ $0[spec.type] }) else { return result(false, "unknown assertion type \(spec.type)") }
            let verdict = try await custom.evaluate(spec, context)
            return AssertionResult(type: spec.displayName, pass: verdict.pass, score: verdict.score, weight: spec.weight, reason: verdict.reason)
        }
    }

    /// An optional JSON Schema given as an object or as JSON/YAML text.
    static func schemaValue(_ value: JSONValue?) throws -> JSONValue? {
        guard let value else { return nil }
        if let text = value.stringValue {
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            return try EvalSuite.json(from: try Yams.load(yaml: text) as Any)
        }
        return value
    }
}

