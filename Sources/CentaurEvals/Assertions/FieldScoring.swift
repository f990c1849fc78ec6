import CentaurCore
import CentaurExtraction
import Foundation

/// Field-level extraction scoring (`type: fields`, value: the expected object): each expected field is
/// compared after normalisation — dates to ISO whatever their printed form, then case, whitespace and
/// punctuation ignored (so names and identifiers with spaces or dashes compare equal). The score is the share of
/// fields right; the test passes at `threshold` (default 1: every field right).
enum FieldScoring {
    static func evaluate(_ spec: EvalSuite.AssertionSpec, expected: JSONValue?, output: String) -> AssertionResult {
        func fail(_ reason: String) -> AssertionResult {
            AssertionResult(type: spec.displayName, pass: false, score: 0, weight: spec.weight, reason: reason)
        }
        guard case .object(let truth)? = expected else { return fail("fields needs the expected values as an object") }
        guard let answer = JSONExtraction.values(in: output).first(where: { $0.objectValue != nil })?.objectValue else {
            let comparisons = truth.keys.sorted().map { FieldComparison(field: $0, expected: truth[$0]!, actual: .null, outcome: truth[$0] == .null ? .match : .missing) }
            var result = fail("the output has no JSON object")
            result.fields = comparisons
            return result
        }
        var comparisons: [FieldComparison] = []
        for field in truth.keys.sorted() {
            let want = truth[field] ?? .null
            let got = answer[field] ?? .null
            let outcome: FieldOutcome
            switch (isEmpty(want), isEmpty(got)) {
            case (true, true): outcome = .match
            case (true, false): outcome = .spurious
            case (false, true): outcome = .missing
            case (false, false): outcome = same(want, got) ? .match : .wrong
            }
            comparisons.append(FieldComparison(field: field, expected: want, actual: got, outcome: outcome))
        }
        let right = comparisons.filter { $0.outcome == .match }.count
        let score = comparisons.isEmpty ? 1 : Double(right) / Double(comparisons.count)
        let threshold = spec.threshold ?? 1
        let wrong = comparisons.filter { $0.outcome != .match }.map { "\($0.field): expected \($0.expected.jsonString()), got \($0.actual.jsonString())" }
        var result = AssertionResult(type: spec.displayName, pass: score >= threshold, score: score, weight: spec.weight,
                                     reason: "\(right)/\(comparisons.count) fields right" + (wrong.isEmpty ? "" : "; " + wrong.prefix(5).joined(separator: "; ")))
        result.fields = comparisons
        return result
    }

    static func isEmpty(_ value: JSONValue) -> Bool {
        if value == .null { return true }
        if let s = value.stringValue { let t = s.trimmingCharacters(in: .whitespaces).uppercased(); return t.isEmpty || t == "N/A" || t == "NONE" }
        return false
    }

    /// Equal after normalisation: ISO dates, then letters and digits only, case-folded; numbers by value.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if a == b { return true }
        let x = text(a), y = text(b)
        if let dx = Normalizer.isoDate(x), let dy = Normalizer.isoDate(y) { return dx == dy }
        if let nx = Double(x.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "$", with: "")),
           let ny = Double(y.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "$", with: "")) { return abs(nx - ny) < 0.005 }
        return canonical(x) == canonical(y)
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .number(let n): return n == n.rounded() ? String(Int(n)) : String(n)
        case .bool(let b): return b ? "true" : "false"
        default: return value.jsonString()
        }
    }

    static func canonical(_ text: String) -> String {
        String(text.uppercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }
}
