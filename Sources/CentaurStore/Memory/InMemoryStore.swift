import Foundation
import NIOConcurrencyHelpers

/// Traces and keys in memory, with the same semantics as ``SQLiteStore``; for tests.
public final class InMemoryStore: TraceStore, APIKeyStore {
    private let traceBox = NIOLockedValueBox<[TraceRecord]>([])
    private let keyBox = NIOLockedValueBox<[APIKeyRecord]>([])

    public init() {}

    public func insert(_ records: [TraceRecord]) async throws {
        traceBox.withLockedValue { $0 += records }
    }

    public func traces(_ query: TraceQuery) async throws -> TracePage {
        let cursor = try query.cursor.map(TraceCursor.decode)
        let matching = traceBox.withLockedValue { $0 }.filter { r in
            (query.from.map { r.startedAt >= $0 } ?? true) && (query.to.map { r.startedAt < $0 } ?? true)
                && (query.model.map { r.model == $0 || r.route == $0 } ?? true) && (query.keyID.map { r.keyID == $0 } ?? true)
                && (query.status.map { r.status == $0 } ?? true) && (query.requestID.map { r.requestID == $0 } ?? true)
                && (query.tag.map { r.tags[$0.name] == $0.value } ?? true)
                && (cursor.map { r.startedAt < $0.0 || (r.startedAt == $0.0 && r.id < $0.1) } ?? true)
        }.sorted { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) }
        let page = Array(matching.prefix(query.limit))
        return TracePage(traces: page, nextCursor: matching.count > query.limit ? page.last.map(TraceCursor.encode) : nil)
    }

    public func trace(id: String) async throws -> TraceRecord? {
        traceBox.withLockedValue { $0.first { $0.id == id } }
    }

    public func spend(since: Date) async throws -> [SpendRow] {
        var totals: [String: SpendRow] = [:]
        for trace in traceBox.withLockedValue({ $0 }) where trace.startedAt >= since {
            let key = "\(trace.keyID ?? "")\u{0}\(trace.team ?? "")"
            totals[key, default: SpendRow(keyID: trace.keyID, team: trace.team, costUSD: 0)].costUSD += trace.costUSD ?? 0
        }
        return Array(totals.values)
    }

    public func usage(from: Date?, to: Date?) async throws -> [UsageRow] {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let records = traceBox.withLockedValue { $0 }.filter { r in
            (from.map { r.startedAt >= $0 } ?? true) && (to.map { r.startedAt < $0 } ?? true)
        }
        let groups = Dictionary(grouping: records) { [formatter.string(from: $0.startedAt), $0.model, $0.keyID ?? ""] }
        return groups.map { key, rows in
            UsageRow(
                day: key[0], model: key[1], keyID: rows[0].keyID, requests: Set(rows.map(\.requestID)).count, attempts: rows.count,
                inputTokens: rows.map(\.inputTokens).reduce(0, +), outputTokens: rows.map(\.outputTokens).reduce(0, +),
                cacheReadTokens: rows.map(\.cacheReadTokens).reduce(0, +), cacheWriteTokens: rows.map(\.cacheWriteTokens).reduce(0, +),
                costUSD: rows.compactMap(\.costUSD).reduce(0, +))
        }.sorted { ($0.day, $1.costUSD, $0.model) > ($1.day, $0.costUSD, $1.model) }
    }

    public func requestCount() async throws -> Int {
        Set(traceBox.withLockedValue { $0 }.map(\.requestID)).count
    }

    public func insert(_ key: APIKeyRecord) async throws {
        try keyBox.withLockedValue { keys in
            if keys.contains(where: { $0.hash == key.hash || $0.id == key.id }) { throw StoreError("duplicate API key") }
            keys.append(key)
        }
    }

    public func key(hash: String) async throws -> APIKeyRecord? {
        keyBox.withLockedValue { $0.first { $0.hash == hash && $0.revokedAt == nil } }
    }

    public func keys() async throws -> [APIKeyRecord] {
        keyBox.withLockedValue { $0 }
    }

    public func revoke(id: String, at date: Date) async throws -> Bool {
        keyBox.withLockedValue { keys in
            guard let index = keys.firstIndex(where: { $0.id == id && $0.revokedAt == nil }) else { return false }
            keys[index].revokedAt = date
            return true
        }
    }
}
