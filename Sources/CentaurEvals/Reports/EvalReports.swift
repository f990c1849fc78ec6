import CentaurCore
import Foundation

/// The run as text for a terminal, promptfoo-shaped JSON, JUnit XML, or one self-contained HTML page.
public enum EvalReports {
    // MARK: Terminal

    public static func table(_ run: EvalRun) -> String {
        let summaries = EvalSummary.perProvider(run.results)
        var rows: [[String]] = [["provider", "pass rate", "passed", "failed", "errors", "field acc.", "cost/case", "tokens in/out", "p50 ms", "p95 ms"]]
        for s in summaries {
            rows.append([s.provider, String(format: "%.1f%%", s.passRate * 100), "\(s.passed)", "\(s.failed)", "\(s.errors)",
                         s.fieldAccuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "-", String(format: "$%.6f", s.costPerCaseUSD),
                         "\(s.inputTokens)/\(s.outputTokens)", String(format: "%.0f", s.latencyP50MS), String(format: "%.0f", s.latencyP95MS)])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        lines.insert(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "), at: 1)
        for s in summaries where !s.confusions.isEmpty {
            lines.append("")
            lines.append("\(s.provider): most frequent field errors")
            for c in s.confusions.prefix(5) { lines.append("  \(c.field): expected \(c.expected), got \(c.actual) (\(c.count)×)") }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: JSON (promptfoo's results shape)

    public static func json(_ run: EvalRun) -> JSONValue {
        let results: [JSONValue] = run.results.map { r in
            var response: [String: JSONValue] = [
                "output": .string(r.output),
                "tokenUsage": ["prompt": .number(Double(r.inputTokens)), "completion": .number(Double(r.outputTokens)), "total": .number(Double(r.inputTokens + r.outputTokens))],
                "cached": .bool(r.cached),
            ]
            if let cost = r.costUSD { response["cost"] = .number(cost) }
            var object: [String: JSONValue] = [
                "id": .string(r.caseID), "success": .bool(r.success), "score": .number(r.score),
                "provider": ["id": .string(r.providerID), "label": .string(r.provider)],
                "prompt": ["raw": .string(r.prompt), "label": .string(r.promptLabel)],
                "vars": .object(r.vars), "response": .object(response), "latencyMs": .number(r.latencyMS),
                "testIdx": .number(Double(r.testIndex)), "repeatIndex": .number(Double(r.repeatIndex)),
                "gradingResult": [
                    "pass": .bool(r.success), "score": .number(r.score),
                    "reason": .string(r.assertions.filter { !$0.pass }.map(\.reason).first ?? "All assertions passed"),
                    "componentResults": .array(r.assertions.map { a in
                        ["pass": .bool(a.pass), "score": .number(a.score), "reason": .string(a.reason), "assertion": ["type": .string(a.type), "weight": .number(a.weight)]]
                    }),
                ],
            ]
            if let description = r.description { object["description"] = .string(description) }
            if let error = r.error { object["error"] = .string(error) }
            return .object(object)
        }
        let errors = run.results.filter { $0.error != nil }.count
        let successes = run.results.filter(\.success).count
        let tokens = run.results.reduce((0, 0)) { ($0.0 + $1.inputTokens, $0.1 + $1.outputTokens) }
        return [
            "evalId": .string(run.id),
            "results": [
                "version": 3, "timestamp": .string(ISO8601DateFormatter().string(from: run.startedAt)),
                "results": .array(results),
                "stats": ["successes": .number(Double(successes)), "failures": .number(Double(run.results.count - successes - errors)),
                          "errors": .number(Double(errors)),
                          "tokenUsage": ["prompt": .number(Double(tokens.0)), "completion": .number(Double(tokens.1)), "total": .number(Double(tokens.0 + tokens.1))]],
            ],
            "config": ["description": .string(run.description)],
            "centaur": ["status": .string(run.status.rawValue), "summary": (try? JSONValue(parsing: JSONEncoder().encode(EvalSummary.perProvider(run.results)))) ?? .null],
        ]
    }

    // MARK: JUnit XML

    public static func junit(_ run: EvalRun) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        let summaries = EvalSummary.perProvider(run.results)
        let totalTime = run.results.reduce(0) { $0 + $1.latencyMS } / 1000
        xml += "<testsuites name=\"\(escape(run.description))\" tests=\"\(run.results.count)\" failures="
        xml += "\"\(summaries.reduce(0) { $0 + $1.failed })\" errors=\"\(summaries.reduce(0) { $0 + $1.errors })\" time=\"\(String(format: "%.3f", totalTime))\">\n"
        for summary in summaries {
            let cases = run.results.filter { $0.provider == summary.provider }
            let time = cases.reduce(0) { $0 + $1.latencyMS } / 1000
            xml += "  <testsuite name=\"\(escape(summary.provider))\" tests=\"\(cases.count)\" failures=\"\(summary.failed)\" errors=\"\(summary.errors)\" time=\"\(String(format: "%.3f", time))\">\n"
            for r in cases {
                let name = "test \(r.testIndex + 1)" + (r.description.map { ": \($0)" } ?? "") + " [\(r.promptLabel)]" + (r.repeatIndex > 0 ? " #\(r.repeatIndex + 1)" : "")
                xml += "    <testcase classname=\"\(escape(summary.provider))\" name=\"\(escape(name))\" time=\"\(String(format: "%.3f", r.latencyMS / 1000))\""
                if let error = r.error {
                    xml += ">\n      <error message=\"\(escape(String(error.prefix(300))))\"/>\n    </testcase>\n"
                } else if !r.success {
                    let reasons = r.assertions.filter { !$0.pass }.map { "\($0.type): \($0.reason)" }.joined(separator: "\n")
                    xml += ">\n      <failure message=\"\(escape(String(reasons.prefix(300))))\">\(escape(reasons))\nscore: \(r.score)\noutput: \(escape(String(r.output.prefix(2000))))</failure>\n"
                    xml += "    </testcase>\n"
                } else {
                    xml += "/>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    /// Text made safe inside HTML and XML (``HTMLText/escape(_:)``).
    public static func escape(_ text: String) -> String { HTMLText.escape(text) }
}
