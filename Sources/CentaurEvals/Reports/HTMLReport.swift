import CentaurCore
import CentaurStore
import Foundation

/// One self-contained HTML page (no scripts, no external files): the summary table, three inline-SVG charts —
/// pass rate against cost per case, the latency distribution, per-field accuracy — and every case.
public enum HTMLReport {
    public static let palette = HTMLText.palette

    /// The report of a stored run (as `/ops/evals/{id}` shows it); results that no longer decode are left out.
    public static func render(stored run: EvalRunRecord, results: [EvalResultRecord]) -> String {
        let cases = results.compactMap { try? JSONDecoder().decode(CaseResult.self, from: Data($0.detail.utf8)) }
        return render(EvalRun(id: run.id, suite: run.suite, description: run.description, startedAt: run.startedAt,
                              endedAt: run.endedAt ?? run.startedAt, status: run.status, results: cases))
    }

    public static func render(_ run: EvalRun) -> String {
        let summaries = EvalSummary.perProvider(run.results)
        let e = EvalReports.escape
        var html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(run.description)) — Centaur eval \(e(run.id))</title>
        <style>
        body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#111;background:#fff}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.muted{color:#555}
        table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
        th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
        .pass{color:#166534;font-weight:600}.fail{color:#b91c1c;font-weight:600}.charts{display:flex;flex-wrap:wrap;gap:24px}
        figure{margin:0}figcaption{font-weight:600;margin-bottom:4px}pre{white-space:pre-wrap;max-width:640px;margin:0;font-size:12px}
        .key span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
        </style></head><body>
        <h1>\(e(run.description))</h1>
        <p class="muted">Run \(e(run.id)) · \(e(run.status.rawValue)) · \(run.results.count) cases · \
        started \(e(ISO8601DateFormatter().string(from: run.startedAt))) · \(String(format: "%.1f", run.endedAt.timeIntervalSince(run.startedAt))) s</p>
        <p class="key">\(summaries.enumerated().map { "<span style=\"background:\(palette[$0 % palette.count])\"></span>\(e($1.provider))" }.joined())</p>
        <h2>Summary</h2>
        <table><thead><tr><th>provider</th><th>pass rate</th><th>passed</th><th>failed</th><th>errors</th><th>field accuracy</th>\
        <th>cost / case</th><th>tokens in / out</th><th>p50 ms</th><th>p95 ms</th></tr></thead><tbody>
        """
        for s in summaries {
            html += "<tr><td>\(e(s.provider))</td><td class=num>\(String(format: "%.1f%%", s.passRate * 100))</td><td class=num>\(s.passed)"
            html += "</td><td class=num>\(s.failed)</td><td class=num>\(s.errors)</td>"
            html += "<td class=num>\(s.fieldAccuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "–")</td><td class=num>\(String(format: "$%.6f", s.costPerCaseUSD))</td>"
            html += "<td class=num>\(s.inputTokens) / \(s.outputTokens)</td><td class=num>\(String(format: "%.0f", s.latencyP50MS))</td>"
            html += "<td class=num>\(String(format: "%.0f", s.latencyP95MS))</td></tr>\n"
        }
        html += "</tbody></table>\n<h2>Charts</h2><div class=charts>\n"
        html += scatter(summaries) + latency(run, summaries) + fieldBars(summaries)
        html += "</div>\n"
        let confusions = summaries.flatMap { s in s.confusions.map { (s.provider, $0) } }
        if !confusions.isEmpty {
            html += "<h2>Most frequent field errors</h2><table><thead><tr><th>provider</th><th>field</th><th>expected</th><th>got</th><th>times</th></tr></thead><tbody>\n"
            for (provider, c) in confusions.prefix(30) {
                html += "<tr><td>\(e(provider))</td><td>\(e(c.field))</td><td>\(e(c.expected))</td><td>\(e(c.actual))</td><td class=num>\(c.count)</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        html += "<h2>Cases</h2><table><thead><tr><th>#</th><th>provider</th><th>result</th><th>score</th><th>vars</th><th>output</th><th>assertions</th><th>ms</th></tr></thead><tbody>\n"
        for r in run.results.prefix(2000) {
            let verdict = r.error != nil ? "<span class=fail>error</span>" : (r.success ? "<span class=pass>pass</span>" : "<span class=fail>fail</span>")
            let vars = r.vars.sorted { $0.key < $1.key }.map { "\($0.key)=\(($0.value.stringValue ?? $0.value.jsonString()).prefix(80))" }.joined(separator: "\n")
            let assertions = r.assertions.map { "\($0.pass ? "✓" : "✗") \($0.type): \($0.reason)" }.joined(separator: "\n") + (r.error.map { "\n\($0)" } ?? "")
            html += "<tr><td>\(r.testIndex + 1)\(r.repeatIndex > 0 ? ".\(r.repeatIndex + 1)" : "")</td><td>\(e(r.provider))</td><td>\(verdict)</td>"
            html += "<td class=num>\(String(format: "%.2f", r.score))</td>"
            html += "<td><pre>\(e(vars))</pre></td><td><pre>\(e(String(r.output.prefix(600))))</pre></td><td><pre>\(e(assertions))</pre></td>"
            html += "<td class=num>\(String(format: "%.0f", r.latencyMS))</td></tr>\n"
        }
        return html + "</tbody></table>\n</body></html>\n"
    }

    /// Pass rate (y) against cost per case (x), one point per provider.
    static func scatter(_ summaries: [EvalSummary]) -> String {
        let w = 360.0, h = 260.0, left = 50.0, bottom = 36.0, top = 30.0, right = 90.0
        let maxCost = max(summaries.map(\.costPerCaseUSD).max() ?? 0, 1e-9) * 1.15
        var svg = "<figure><figcaption>Pass rate against cost per case</figcaption>"
        svg += "<svg role=img aria-label=\"pass rate against cost per case\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        svg += axes(w: w, h: h, left: left, bottom: bottom, top: top, right: right, yLabel: "pass rate", xLabel: String(format: "cost per case (max $%.6f)", maxCost))
        for (i, s) in summaries.enumerated() {
            let x = left + (s.costPerCaseUSD / maxCost) * (w - left - right)
            let y = h - bottom - s.passRate * (h - bottom - top)
            svg += "<circle cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"6\" fill=\"\(palette[i % palette.count])\"><title>"
            svg += "\(EvalReports.escape(s.provider)): \(String(format: "%.1f%%", s.passRate * 100)), $\(String(format: "%.6f", s.costPerCaseUSD))</title></circle>"
            svg += "<text x=\"\(fmt(x + 8))\" y=\"\(fmt(y - 8))\" font-size=\"11\">\(EvalReports.escape(s.provider))</text>"
        }
        return svg + "</svg></figure>\n"
    }

    /// Latency histogram per provider (10 bins over the run's range).
    static func latency(_ run: EvalRun, _ summaries: [EvalSummary]) -> String {
        let w = 420.0, h = 260.0, left = 50.0, bottom = 36.0, top = 12.0, right = 16.0
        let all = run.results.filter { $0.error == nil }.map(\.latencyMS)
        let low = all.min() ?? 0, high = max(all.max() ?? 1, low + 1)
        let bins = 10
        var counts: [[Int]] = summaries.map { _ in Array(repeating: 0, count: bins) }
        for (i, s) in summaries.enumerated() {
            for r in run.results where r.provider == s.provider && r.error == nil {
                counts[i][min(bins - 1, Int((r.latencyMS - low) / (high - low) * Double(bins)))] += 1
            }
        }
        let peak = max(counts.flatMap { $0 }.max() ?? 1, 1)
        var svg = "<figure><figcaption>Latency distribution</figcaption><svg role=img aria-label=\"latency distribution\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        svg += axes(w: w, h: h, left: left, bottom: bottom, top: top, right: right, yLabel: "cases", xLabel: String(format: "latency %.0f–%.0f ms", low, high))
        let binWidth = (w - left - right) / Double(bins)
        let barWidth = binWidth / Double(max(1, summaries.count)) - 1
        for (i, series) in counts.enumerated() {
            for (b, count) in series.enumerated() where count > 0 {
                let barHeight = Double(count) / Double(peak) * (h - bottom - top)
                let x = left + Double(b) * binWidth + Double(i) * (barWidth + 1)
                svg += "<rect x=\"\(fmt(x))\" y=\"\(fmt(h - bottom - barHeight))\" width=\"\(fmt(max(1, barWidth)))\" height=\"\(fmt(barHeight))\" fill="
                svg += "\"\(palette[i % palette.count])\"><title>\(count) cases</title></rect>"
            }
        }
        return svg + "</svg></figure>\n"
    }

    /// Accuracy per field, one bar per provider.
    static func fieldBars(_ summaries: [EvalSummary]) -> String {
        let fields = Array(Set(summaries.flatMap { $0.fields.map(\.field) })).sorted()
        guard !fields.isEmpty else { return "" }
        let rowHeight = 8.0 * Double(max(1, summaries.count)) + 8, labelWidth = 170.0, w = 520.0
        let h = Double(fields.count) * rowHeight + 30
        var svg = "<figure><figcaption>Per-field accuracy</figcaption><svg role=img aria-label=\"per-field accuracy\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
        for (row, field) in fields.enumerated() {
            let y = Double(row) * rowHeight + 4
            svg += "<text x=\"\(fmt(labelWidth - 6))\" y=\"\(fmt(y + rowHeight / 2))\" font-size=\"11\" text-anchor=\"end\">\(EvalReports.escape(field))</text>"
            for (i, s) in summaries.enumerated() {
                guard let score = s.fields.first(where: { $0.field == field }) else { continue }
                let width = score.accuracy * (w - labelWidth - 50)
                svg += "<rect x=\"\(fmt(labelWidth))\" y=\"\(fmt(y + Double(i) * 8))\" width=\"\(fmt(max(1, width)))\" height=\"7\" fill=\"\(palette[i % palette.count])\"><title>"
                svg += "\(EvalReports.escape(s.provider)) \(EvalReports.escape(field)): \(String(format: "%.0f%%", score.accuracy * 100))</title></rect>"
            }
        }
        svg += "<text x=\"\(fmt(labelWidth))\" y=\"\(fmt(h - 6))\" font-size=\"11\">0%</text><text x=\"\(fmt(w - 50))\" y=\"\(fmt(h - 6))\" font-size=\"11\">100%</text>"
        return svg + "</svg></figure>\n"
    }

    static func axes(w: Double, h: Double, left: Double, bottom: Double, top: Double, right: Double, yLabel: String, xLabel: String) -> String {
        "<line x1=\"\(fmt(left))\" y1=\"\(fmt(top))\" x2=\"\(fmt(left))\" y2=\"\(fmt(h - bottom))\" stroke=\"#333\"/>"
            + "<line x1=\"\(fmt(left))\" y1=\"\(fmt(h - bottom))\" x2=\"\(fmt(w - right))\" y2=\"\(fmt(h - bottom))\" stroke=\"#333\"/>"
            + "<text x=\"12\" y=\"\(fmt(top + 10))\" font-size=\"11\">\(EvalReports.escape(yLabel))</text>"
            + "<text x=\"\(fmt(left))\" y=\"\(fmt(h - 10))\" font-size=\"11\">\(EvalReports.escape(xLabel))</text>"
    }

    static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
}
