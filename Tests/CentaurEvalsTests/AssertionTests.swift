import CentaurCore
import Foundation
import Testing
@testable import CentaurEvals

/// Every assertion type passes and fails as promptfoo's documentation says, and `not-` inverts it.
@Suite("Assertions")
struct AssertionTests {
    func check(_ type: String, _ value: JSONValue? = nil, threshold: Double? = nil, output: String, vars: [String: JSONValue] = [:],
               cost: Double? = nil, latency: Double = 0) async -> AssertionResult {
        await AssertionRegistry.evaluate(EvalSuite.AssertionSpec(type: type, value: value, threshold: threshold),
                                         AssertionContext(output: output, vars: vars, costUSD: cost, latencyMS: latency))
    }

    func passes(_ type: String, _ value: JSONValue? = nil, threshold: Double? = nil, output: String, vars: [String: JSONValue] = [:],
                cost: Double? = nil, latency: Double = 0) async -> Bool {
        await check(type, value, threshold: threshold, output: output, vars: vars, cost: cost, latency: latency).pass
    }

    @Test("equals: the whole output, exactly; a JSON value compares parsed JSON")
    func equals() async {
        #expect(await passes("equals", "Hello, World!", output: "Hello, World!"))
        #expect(!(await passes("equals", "Hello, World!", output: "Hello, World! ")))
        #expect(await passes("equals", ["a": 1], output: #"{ "a": 1 }"#))
        #expect(!(await passes("equals", ["a": 1], output: #"{"a": 2}"#)))
        #expect(await passes("not-equals", "x", output: "y"))
    }

    @Test("ndcg, recall and mrr (with @K) over a ranked output against judged documents; a bad output or no judgments fails")
    func relevance() async {
        let output = #"[{"id": "d3", "score": 2.1}, {"id": "d1", "score": 1.5}, {"id": "d9", "score": 0.2}]"#
        let ndcg = await check("ndcg@10", ["d1", "d2"], output: output)
        // DCG = 1/log2(3); ideal = 1 + 1/log2(3).
        #expect(abs(ndcg.score - (1 / log2(3)) / (1 + 1 / log2(3))) < 1e-9 && !ndcg.pass, "\(ndcg.reason)")
        #expect(await passes("ndcg", ["d1": 2, "d3": 1], threshold: 0.7, output: output))
        #expect(await check("recall@2", ["d1", "d2"], output: output).score == 0.5)
        #expect(await passes("recall@3", "d1, d9", output: #"["d1", "d9", "d4"]"#), "a list of ids as text")
        #expect(await check("mrr", ["d1"], output: output).score == 0.5)
        #expect(!(await passes("mrr", ["d1"], output: "d1 then d3")), "not a ranked list")
        #expect(!(await passes("ndcg", nil, output: output)), "no judgments")
        #expect(AssertionRegistry.knows("ndcg@20") && !AssertionRegistry.knows("ndcg@zero") && !AssertionRegistry.knows("precision"))
    }

    @Test("contains and icontains")
    func contains() async {
        #expect(await passes("contains", "Paris", output: "The capital is Paris."))
        #expect(!(await passes("contains", "paris", output: "The capital is Paris.")))
        #expect(await passes("icontains", "paris", output: "The capital is PARIS."))
        #expect(await passes("not-contains", "London", output: "Paris"))
        #expect(!(await passes("not-icontains", "paris", output: "Paris")))
    }

    @Test("contains-any, contains-all (lists or comma-separated), case-insensitive variants")
    func lists() async {
        #expect(await passes("contains-any", ["cat", "dog"], output: "a dog barks"))
        #expect(!(await passes("contains-any", ["cat", "dog"], output: "a bird sings")))
        #expect(await passes("contains-all", "red, green", output: "red and green"))
        #expect(!(await passes("contains-all", ["red", "blue"], output: "red and green")))
        #expect(await passes("icontains-all", ["RED", "Green"], output: "red and green"))
        #expect(await passes("icontains-any", ["BIRD"], output: "a bird"))
        #expect(await passes("not-contains-any", ["x", "y"], output: "abc"))
    }

    @Test("regex and starts-with")
    func patterns() async {
        #expect(await passes("regex", #"\d{3}-\d{2}-\d{4}"#, output: "SSN 536-22-1947"))
        #expect(!(await passes("regex", #"^\d+$"#, output: "12a")))
        #expect(await passes("starts-with", "Yes", output: "Yes, it is."))
        #expect(!(await passes("starts-with", "Yes", output: "No.")))
        #expect(await passes("not-starts-with", "Sorry", output: "Here you go"))
        #expect(!(await check("regex", "([", output: "x")).pass)
    }

    @Test("is-json (optionally against a schema) and contains-json")
    func json() async {
        let schema: JSONValue = ["type": "object", "required": ["name"], "properties": ["name": ["type": "string"]]]
        #expect(await passes("is-json", output: #"{"name": "Jane"}"#))
        #expect(!(await passes("is-json", output: "name: Jane")))
        #expect(await passes("is-json", schema, output: #"{"name": "Jane"}"#))
        #expect(!(await passes("is-json", schema, output: #"{"name": 3}"#)))
        #expect(await passes("is-json", "{type: object, required: [name]}", output: #"{"name": 1}"#))
        #expect(await passes("contains-json", output: "Here it is: {\"name\": \"Jane\"} — done"))
        #expect(!(await passes("contains-json", output: "no JSON here")))
        #expect(await passes("contains-json", schema, output: "first {\"x\": 1} then {\"name\": \"Jo\"}"))
        #expect(!(await passes("contains-json", schema, output: "only {\"x\": 1}")))
        #expect(await passes("not-is-json", output: "plain text"))
    }

    @Test("levenshtein: distance at most the threshold (default 5)")
    func levenshtein() async {
        #expect(await passes("levenshtein", "kitten", output: "sitting"))  // 3
        #expect(!(await passes("levenshtein", "kitten", threshold: 2, output: "sitting")))
        #expect(!(await passes("levenshtein", "abc", output: "abcdefghij")))  // 7 > 5
        #expect(Levenshtein.distance("flaw", "lawn") == 2)
    }

    @Test("cost and latency ceilings")
    func ceilings() async {
        #expect(await passes("cost", threshold: 0.01, output: "x", cost: 0.002))
        #expect(!(await passes("cost", threshold: 0.001, output: "x", cost: 0.002)))
        #expect(!(await passes("cost", threshold: 0.01, output: "x", cost: nil)), "no reported cost fails")
        #expect(await passes("latency", threshold: 500, output: "x", latency: 120))
        #expect(!(await passes("latency", threshold: 100, output: "x", latency: 120)))
    }

    @Test("fields: normalised dates, names, case, whitespace, identifiers; score is the share right")
    func fields() async throws {
        let expected: JSONValue = ["date_of_birth": "1990-04-12", "last_name": "SAMPLETON", "id_number": "S255-1329-0412", "middle_name": .null]
        let output = #"{"date_of_birth": "04/12/1990", "last_name": " sampleton ", "id_number": "S25513290412", "middle_name": null}"#
        let good = await check("fields", expected, output: output)
        #expect(good.pass && good.score == 1)
        let partial = await check("fields", expected, output: #"{"date_of_birth": "1990-04-13", "last_name": "Sampleton"}"#)
        #expect(!partial.pass)
        #expect(partial.score == 0.5)  // last_name and middle_name right; date wrong; id missing
        let outcomes = Dictionary(uniqueKeysWithValues: (partial.fields ?? []).map { ($0.field, $0.outcome) })
        #expect(outcomes == ["date_of_birth": .wrong, "last_name": .match, "id_number": .missing, "middle_name": .match])
        #expect(await passes("fields", expected, threshold: 0.5, output: #"{"date_of_birth": "1990-04-13", "last_name": "Sampleton"}"#))
        // The expected object can come from the case's variables.
        #expect(await passes("fields", "{{truth}}", output: #"{"a": "X"}"#, vars: ["truth": ["a": "x"]]))
        #expect(!(await passes("fields", expected, output: "not json")))
    }

    @Test("llm-rubric: the grader's verdict, its cost counted; a threshold applies to its score")
    func rubric() async {
        let spec = EvalSuite.AssertionSpec(type: "llm-rubric", value: "Is polite")
        let yes = AssertionContext(output: "Thank you!", grade: { _, prompt in
            #expect(prompt.contains("Is polite") && prompt.contains("Thank you!"))
            return (#"{"reason": "polite", "pass": true, "score": 0.9}"#, 0.0004)
        })
        let graded = await AssertionRegistry.evaluate(spec, yes)
        #expect(graded.pass && graded.score == 0.9 && graded.gradingCostUSD == 0.0004)
        var strict = spec
        strict.threshold = 0.95
        #expect(!(await AssertionRegistry.evaluate(strict, yes)).pass)
        let no = AssertionContext(output: "Go away", grade: { _, _ in (#"{"reason": "rude", "pass": false, "score": 0}"#, nil) })
        #expect(!(await AssertionRegistry.evaluate(spec, no)).pass)
        #expect(!(await AssertionRegistry.evaluate(spec, AssertionContext(output: "x"))).pass, "no grader configured")
    }

    struct ShortAnswer: EvalAssertion {
        func evaluate(_ spec: EvalSuite.AssertionSpec, _ context: AssertionContext) async throws -> (pass: Bool, score: Double, reason: String) {
            let ok = context.output.count <= Int(spec.threshold ?? 20)
            return (ok, ok ? 1 : 0, ok ? "short" : "too long")
        }
    }

    @Test("custom Swift assertions through the protocol, negatable too")
    func custom() async {
        AssertionRegistry.register(ShortAnswer(), as: "short-answer")
        #expect(AssertionRegistry.knows("short-answer"))
        #expect(await passes("short-answer", threshold: 5, output: "Yes"))
        #expect(!(await passes("short-answer", threshold: 5, output: "Absolutely")))
        #expect(await passes("not-short-answer", threshold: 5, output: "Absolutely"))
    }

    @Test("weighted scores and thresholds: the score is the weighted mean; without a threshold every assertion must pass")
    func weights() {
        let results = [
            AssertionResult(type: "equals", pass: false, score: 0, weight: 2, reason: ""),
            AssertionResult(type: "contains", pass: true, score: 1, weight: 1, reason: ""),
        ]
        let plain = TestVerdict.combine(results, threshold: nil)
        #expect(!plain.pass && abs(plain.score - 1.0 / 3) < 1e-9)
        #expect(TestVerdict.combine(results, threshold: 0.3).pass)
        #expect(!TestVerdict.combine(results, threshold: 0.5).pass)
        let informative = [AssertionResult(type: "a", pass: true, score: 1, weight: 1, reason: ""), AssertionResult(type: "b", pass: false, score: 0, weight: 0, reason: "")]
        #expect(TestVerdict.combine(informative, threshold: nil) == (true, 1))
    }
}
