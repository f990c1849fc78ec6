import CentaurCore
import CentaurGateway
import CentaurStore
import Foundation
import Hummingbird
import HummingbirdCore

/// `GET /api/traces`, `GET /api/traces/{id}`, `GET /api/usage` (admin scope), `GET /healthz` (the process is up) and
/// `GET /readyz` (its database answers and has this build's schema: a load balancer sends requests only then).
struct AdminEndpoints: Sendable {
    let store: any TraceStore
    let writer: TraceWriter
    var readiness: @Sendable () async throws -> Void = {}

    /// `/healthz` on `open` (no key); the trace and usage routes on `admin` (a group that requires the admin scope).
    func register(open: some RouterMethods<CentaurRequestContext>, admin: RouterGroup<CentaurRequestContext>) {
        open.get("/healthz") { _, _ in
            JSONResponse.json(["status": "ok", "trace_queue_depth": .number(Double(writer.queueDepth)), "traces_dropped": .number(Double(writer.dropped))])
        }
        open.get("/readyz") { _, _ in
            do {
                try await readiness()
                return JSONResponse.json(["status": "ready"])
            } catch {
                return JSONResponse.json(["status": "not_ready", "reason": .string(String(describing: error))], status: .serviceUnavailable)
            }
        }
        admin.get("/api/traces") { request, _ in
            try JSONResponse.json(encoding: try await store.traces(try Self.traceQuery(request.uri.queryParameters)))
        }
        admin.get("/api/traces/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let record = try await store.trace(id: id) else { throw APIError.missing("no trace with id '\(id)'") }
            return try JSONResponse.json(encoding: record)
        }
        admin.get("/api/usage") { request, _ in
            let parameters = request.uri.queryParameters
            let rows = try await store.usage(from: try Self.date(parameters, "from"), to: try Self.date(parameters, "to"))
            return try JSONResponse.json(encoding: ["usage": rows])
        }
    }

    static func date(_ parameters: FlatDictionary<Substring, Substring>, _ name: String) throws -> Date? {
        guard let text = parameters[name[...]].map(String.init) else { return nil }
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let dayFormatter = DateFormatter()
        dayFormatter.dateFormat = "yyyy-MM-dd"
        dayFormatter.timeZone = TimeZone(identifier: "UTC")
        if let day = dayFormatter.date(from: text) { return day }
        throw APIError.invalid(name, "expected an ISO 8601 date or date-time, got '\(text)'")
    }

    static func traceQuery(_ parameters: FlatDictionary<Substring, Substring>) throws -> TraceQuery {
        func value(_ name: String) -> String? { parameters[name[...]].map(String.init) }
        var status: TraceStatus?
        if let text = value("status") {
            guard let known = TraceStatus(rawValue: text) else { throw APIError.invalid("status", "expected ok or error") }
            status = known
        }
        var query = TraceQuery(
            from: try date(parameters, "from"), to: try date(parameters, "to"), model: value("model"), keyID: value("key"),
            status: status, requestID: value("request_id"), cursor: value("cursor"))
        if let limit = value("limit") {
            guard let number = Int(limit), number > 0 else { throw APIError.invalid("limit", "expected a positive integer") }
            query.limit = min(number, 500)
        }
        if let tag = value("tag") {
            let parts = tag.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { throw APIError.invalid("tag", "expected NAME:VALUE") }
            query.tag = (String(parts[0]), String(parts[1]))
        }
        if let cursor = query.cursor {
            do { _ = try TraceCursor.decode(cursor) } catch { throw APIError.invalid("cursor", "\(error)") }
        }
        return query
    }
}
