import CentaurCore
import CentaurStore
import Foundation
import Hummingbird
import NIOCore

/// The operations pages for admins: one model call with its attempts, usage charts, eval reports.
extension WebPages {
    func registerOps<Context: RequestContext>(on router: Hummingbird.Router<Context>) {
        router.get("/ops/traces/{id}") { request, context in
            try await signedIn(request, role: .admin) { signed, _ in
                guard let trace = try await stores.traces.trace(id: context.parameters.get("id") ?? "") else {
                    return page("message", frame(signed, title: "Not found", MessagePage(heading: "Not found", text: "No such model call.")), status: .notFound)
                }
                let attempts = try await stores.traces.traces(TraceQuery(requestID: trace.requestID, limit: 100)).traces.sorted { $0.attempt < $1.attempt }
                let rows = attempts.map { t in
                    AttemptRow(attempt: t.attempt, at: Self.time(t.startedAt), model: t.model, provider: t.provider,
                               upstream: t.upstreamModel, status: t.status.rawValue, input: t.inputTokens, output: t.outputTokens,
                               cost: Self.cost(t.costUSD), latency: Int(t.latencyMS), ttft: t.timeToFirstTokenMS.map { String(Int($0)) } ?? "–",
                               errorClass: t.errorClass, errorMessage: t.errorClass.map { _ in t.errorMessage ?? "" })
                }
                let last = attempts.last ?? trace
                return page("trace", frame(signed, title: "Model call", TracePage(
                    requestID: trace.requestID, attempts: rows, caller: trace.keyID ?? "–", team: trace.team ?? "–", route: trace.route,
                    surface: trace.surface, tags: Self.tags(trace.tags),
                    request: last.requestBody ?? "(not captured: set traces.capture: full)", response: last.responseBody ?? "(not captured)")))
            }
        }
        router.get("/ops/evals/{id}") { request, context in
            try await signedIn(request, role: .admin) { signed, _ in
                let id = context.parameters.get("id") ?? ""
                guard let run = try await stores.evals.run(id: id) else {
                    return page("message", frame(signed, title: "Not found", MessagePage(heading: "Not found", text: "No eval run \(id).")), status: .notFound)
                }
                guard let evalReport else {
                    return page("message", frame(signed, title: "No report", MessagePage(heading: "No report here",
                        text: "This server was started without an eval report renderer.")), status: .notFound)
                }
                let html = try evalReport(run, try await stores.evals.results(runID: id))
                return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                                       SecurityHeaders.contentSecurityPolicy: SecurityHeaders.staticPagePolicy,
                                                       SecurityHeaders.frameOptions: "DENY"],
                                body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
            }
        }
    }

    /// Cost and tokens per day and model over the last 14 days, as two inline-SVG stacked bar charts.
    func usageCharts() async throws -> (cost: String, tokens: String) {
        let from = now().addingTimeInterval(-13 * 86_400)
        let rows = try await stores.traces.usage(from: Calendar(identifier: .gregorian).startOfDay(for: from), to: nil)
        var days: [String] = []
        for offset in 0..<14 { days.append(String(AuditEntry.timestamp(from.addingTimeInterval(Double(offset) * 86_400)).prefix(10))) }
        let models = Array(Set(rows.map(\.model))).sorted()
        func chart(_ title: String, _ value: (UsageRow) -> Double, format: (Double) -> String) -> String {
            var totals: [String: [String: Double]] = [:]
            for row in rows { totals[row.day, default: [:]][row.model, default: 0] += value(row) }
            let peak = max(days.map { day in totals[day]?.values.reduce(0, +) ?? 0 }.max() ?? 0, 1e-12)
            let w = 480.0, h = 220.0, left = 40.0, bottom = 30.0, barWidth = (w - left - 10) / 14 - 4
            var svg = "<figure><figcaption>\(title) (peak \(format(peak)) a day)</figcaption>"
            svg += "<svg role=\"img\" aria-label=\"\(title) per day\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
            svg += "<line x1=\"\(left)\" y1=\"10\" x2=\"\(left)\" y2=\"\(h - bottom)\" stroke=\"#334155\"/>"
            svg += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - 10)\" y2=\"\(h - bottom)\" stroke=\"#334155\"/>"
            for (index, day) in days.enumerated() {
                var y = h - bottom
                let x = left + 4 + Double(index) * (barWidth + 4)
                for (m, model) in models.enumerated() {
                    let amount = totals[day]?[model] ?? 0
                    guard amount > 0 else { continue }
                    let height = amount / peak * (h - bottom - 10)
                    y -= height
                    svg += "<rect x=\"\(Int(x))\" y=\"\(Int(y))\" width=\"\(Int(barWidth))\" height=\"\(max(1, Int(height)))\" fill=\"\(HTMLText.palette[m % HTMLText.palette.count])\"><title>"
                    svg += "\(HTMLText.escape(day)) \(HTMLText.escape(model)): \(format(amount))</title></rect>"
                }
                if index % 3 == 0 { svg += "<text x=\"\(Int(x))\" y=\"\(Int(h - 12))\" font-size=\"10\">\(day.suffix(5))</text>" }
            }
            svg += "</svg>"
            let key = models.enumerated().map { "<span style=\"color:\(HTMLText.palette[$0 % HTMLText.palette.count])\">■</span> \(HTMLText.escape($1))" }
            svg += "<p class=\"muted\">" + key.joined(separator: " ") + "</p></figure>"
            return svg
        }
        return (chart("Cost (USD)", { $0.costUSD }, format: { String(format: "$%.4f", $0) }),
                chart("Tokens", { Double($0.inputTokens + $0.outputTokens) }, format: { String(Int($0)) }))
    }
}
