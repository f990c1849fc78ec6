import CentaurConfiguration
import CentaurCore
import Foundation
import Synchronization

/// Token buckets and monthly spend per subject (`key:ID`, `team:NAME`), kept exact under concurrency:
/// every check and update happens under one lock.
///
/// A request takes one token from each RPM bucket; it may start while each TPM bucket is above zero, and its
/// actual tokens are taken when it ends (so a bucket can go below zero and the next requests wait for the
/// refill). Spend is counted per UTC calendar month, starting from what the traces say was spent.
public final class BudgetLedger: Sendable {
    struct Bucket {
        var level: Double
        var updated: Date
    }
    struct State {
        var requests: [String: Bucket] = [:]
        var tokens: [String: Bucket] = [:]
        var spend: [String: Double] = [:]
        var month: String
    }

    private let state: Mutex<State>
    private let now: @Sendable () -> Date

    /// - Parameter spent: this month's spend per subject so far.
    public init(spent: [String: Double] = [:], now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
        state = Mutex(State(spend: spent, month: Self.month(of: now())))
    }

    static func month(of date: Date) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return String(format: "%04d-%02d", c.year!, c.month!)
    }

    /// The first instant of the UTC month `date` is in.
    public static func monthStart(of date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
    }

    /// The first instant of the next UTC month.
    static func nextMonth(after date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
        return calendar.date(byAdding: .month, value: 1, to: start)!
    }

    static func refill(_ bucket: Bucket?, capacity: Double, perMinute: Double, at date: Date) -> Bucket {
        guard let bucket else { return Bucket(level: capacity, updated: date) }
        let elapsed = max(0, date.timeIntervalSince(bucket.updated))
        return Bucket(level: min(capacity, bucket.level + elapsed * perMinute / 60), updated: date)
    }

    /// Admits one request for every subject, or throws a rate-limit error that says which limit and when to retry.
    public func admit(_ subjects: [(name: String, limits: Limits)]) throws {
        let date = now()
        let refusal: ModelError? = state.withLock { state in
            let month = Self.month(of: date)
            if month != state.month { state.spend = [:]; state.month = month }
            var requests = state.requests
            var tokens = state.tokens
            for (name, limits) in subjects {
                if let cap = limits.monthlyUSD, (state.spend[name] ?? 0) >= cap {
                    let wait = Self.nextMonth(after: date).timeIntervalSince(date)
                    return ModelError(kind: .rateLimited, message: "\(name) has spent its monthly budget of $\(cap)", retryAfter: .seconds(max(1, wait)))
                }
                if let rpm = limits.rpm {
                    var bucket = Self.refill(requests[name], capacity: Double(rpm), perMinute: Double(rpm), at: date)
                    guard bucket.level >= 1 else {
                        let wait = (1 - bucket.level) * 60 / Double(rpm)
                        return ModelError(kind: .rateLimited, message: "\(name) is over its limit of \(rpm) requests per minute", retryAfter: .seconds(max(1, wait.rounded(.up))))
                    }
                    bucket.level -= 1
                    requests[name] = bucket
                }
                if let tpm = limits.tpm {
                    let bucket = Self.refill(tokens[name], capacity: Double(tpm), perMinute: Double(tpm), at: date)
                    guard bucket.level > 0 else {
                        let wait = (1 - bucket.level) * 60 / Double(tpm)
                        return ModelError(kind: .rateLimited, message: "\(name) is over its limit of \(tpm) tokens per minute", retryAfter: .seconds(max(1, wait.rounded(.up))))
                    }
                    tokens[name] = bucket
                }
            }
            // Every subject admits the request: commit all the takes at once.
            state.requests = requests
            state.tokens = tokens
            return nil
        }
        if let refusal { throw refusal }
    }

    /// Records what an admitted request used.
    public func settle(_ subjects: [(name: String, limits: Limits)], tokens used: Int, costUSD: Double) {
        let date = now()
        state.withLock { state in
            for (name, limits) in subjects {
                if let tpm = limits.tpm {
                    var bucket = Self.refill(state.tokens[name], capacity: Double(tpm), perMinute: Double(tpm), at: date)
                    bucket.level -= Double(used)
                    state.tokens[name] = bucket
                }
                if costUSD > 0 { state.spend[name, default: 0] += costUSD }
            }
        }
    }

    /// This month's spend of a subject.
    public func spent(_ name: String) -> Double { state.withLock { $0.spend[name] ?? 0 } }
}

/// Enforces per-key and per-team budgets before a request goes anywhere (a refusal is a 429 with
/// `retry-after` in the client's API shape) and settles tokens and cost, of every attempt, when it ends.
public struct BudgetMiddleware: GatewayMiddleware {
    public let ledger: BudgetLedger
    /// Limits of each team, from `budgets.teams` in the configuration.
    public let teams: [String: Limits]

    public init(ledger: BudgetLedger, teams: [String: Limits]) {
        self.ledger = ledger
        self.teams = teams
    }

    func subjects(_ context: GatewayContext) -> [(name: String, limits: Limits)] {
        guard let caller = context.caller else { return [] }
        var subjects: [(String, Limits)] = []
        if let limits = caller.limits, !limits.isEmpty { subjects.append(("key:\(caller.keyID)", limits)) }
        if let team = caller.team, let limits = teams[team] { subjects.append(("team:\(team)", limits)) }
        return subjects
    }

    func settle(_ subjects: [(name: String, limits: Limits)], context: GatewayContext) {
        let attempts = context.attempts.all
        ledger.settle(subjects, tokens: attempts.reduce(0) { $0 + $1.usage.inputTokens + $1.usage.outputTokens },
                      costUSD: attempts.compactMap(\.costUSD).reduce(0, +))
    }

    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        let subjects = subjects(context)
        guard !subjects.isEmpty else { return try await next(request, context) }
        try ledger.admit(subjects)
        defer { settle(subjects, context: context) }
        return try await next(request, context)
    }

    public func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream {
        let subjects = subjects(context)
        guard !subjects.isEmpty else { return try await next(request, context) }
        try ledger.admit(subjects)
        let upstream: ModelStream
        do { upstream = try await next(request, context) } catch {
            settle(subjects, context: context)
            throw error
        }
        return .producing { continuation in
            defer { settle(subjects, context: context) }
            for try await event in upstream { continuation.yield(event) }
        }
    }
}
