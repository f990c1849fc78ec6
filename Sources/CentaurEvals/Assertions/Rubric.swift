import CentaurCore
import Foundation

/// `llm-rubric`: a grading model judges the output against the rubric and answers
/// `{"reason", "pass", "score"}`; its cost is added to the case's.
enum Rubric {
    static func prompt(rubric: String, output: String) -> String {
        """
        You grade an output against a rubric. Read the rubric and the output, then answer with one JSON object only:
        {"reason": "<one sentence>", "pass": true or false, "score": <a number from 0 to 1>}

        <rubric>
        \(rubric)
        </rubric>

        <output>
        \(output)
        </output>
        """
    }

    static func evaluate(_ spec: EvalSuite.AssertionSpec, rubric: String, context: AssertionContext) async throws -> AssertionResult {
        guard let grade = context.grade else {
            return AssertionResult(type: spec.displayName, pass: false, score: 0, weight: spec.weight, reason: "llm-rubric needs a grading provider")
        }
        let (answer, cost) = try await grade(spec.provider, prompt(rubric: rubric, output: context.output))
        guard let verdict = JSONExtraction.values(in: answer).first(where: { $0.objectValue != nil }) else {
            var result = AssertionResult(type: spec.displayName, pass: false, score: 0, weight: spec.weight, reason: "the grader's answer is not JSON: \(answer.prefix(200))")
            result.gradingCostUSD = cost
            return result
        }
        let pass = verdict["pass"] == true
        let score = verdict["score"]?.doubleValue ?? (pass ? 1 : 0)
        var result = AssertionResult(type: spec.displayName, pass: spec.threshold.map { score >= $0 } ?? pass, score: min(1, max(0, score)),
                                     weight: spec.weight, reason: verdict["reason"]?.stringValue ?? "graded")
        result.gradingCostUSD = cost
        return result
    }
}
