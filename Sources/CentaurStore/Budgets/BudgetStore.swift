import CentaurCore
import Foundation
import Synchronization

/// One budget a request counts against: an API key's (`key:ID`) or a team's (`team:NAME`), with its limits.
public struct BudgetSubject: Sendable, Hashable {
    public var name: String
    /// Requests per minute, as a token bucket that refills continuously.
    public var rpm: Int?
    /// Tokens per minute: a request may start while the bucket is above zero; what it used is taken when it ends.
    public var tpm: Int?
    /// The cap on this UTC calendar month's spend, in micro-dollars (millionths of a US dollar), so sums are exact.
    public var monthlyMicroUSD: Int64?

    public init(name: String, rpm: Int? = nil, tpm: Int? = nil, monthlyMicroUSD: Int64? = nil) {
        self.name = name
        self.rpm = rpm
        self.tpm = tpm
        self.monthlyMicroUSD = monthlyMicroUSD
    }
}

/// What an admitted request holds until it settles: one request from each RPM bucket (spent) and `microUSD` of each
/// monthly cap (held, so concurrent requests cannot together spend past it).
public struct BudgetReservation: Sendable, Hashable {
    public var id: String
    public var subjects: [BudgetSubject]
    public var microUSD: Int64
    /// When the hold lapses if the request never settles (its replica died): the spend is then no longer held.
    public var expiresAt: Date

    public init(id: String, subjects: [BudgetSubject], microUSD: Int64, expiresAt: Date) {
        self.id = id
        self.subjects = subjects
        self.microUSD = microUSD
        self.expiresAt = expiresAt
    }
}

/// Why a request was refused, and when it may try again.
public struct BudgetRefusal: Error, Sendable, Hashable {
    public enum Limit: Sendable, Hashable {
        case requestsPerMinute(Int)
        case tokensPerMinute(Int)
        /// The month's spend (with what concurrent requests hold) leaves no room for this request's worst case.
        case monthlySpend(capMicroUSD: Int64)
    }

    public var subject: String
    public var limit: Limit
    public var retryAfter: Duration

    public init(subject: String, limit: Limit, retryAfter: Duration) {
        self.subject = subject
        self.limit = limit
        self.retryAfter = retryAfter
    }

    /// The refusal as the gateway reports it (a 429 with `retry-after`).
    public var error: ModelError {
        let message = switch limit {
        case .requestsPerMinute(let rpm): "\(subject) is over its limit of \(rpm) requests per minute"
        case .tokensPerMinute(let tpm): "\(subject) is over its limit of \(tpm) tokens per minute"
        case .monthlySpend(let cap): "\(subject) has spent its monthly budget of $\(BudgetMath.dollars(cap))"
        }
        return ModelError(kind: .rateLimited, message: message, retryAfter: retryAfter)
    }
}

public enum BudgetDecision: Sendable, Hashable {
    case admitted(BudgetReservation)
    case refused(BudgetRefusal)
}

/// Where budgets are decided: in the process (``LocalBudgets``, for one `centaur serve` on SQLite) or in the shared
/// database (PostgreSQL, so replicas behind a load balancer enforce one limit between them, exactly).
///
/// Both backends decide by ``BudgetMath``'s rules — in Swift here, in PL/pgSQL functions on PostgreSQL (so a decision
/// holds its row locks for one statement), held to the same results by the same contract tests: a reservation takes
/// one request from every RPM bucket, needs every TPM bucket above zero, and holds the request's worst-case cost
/// against every monthly cap — for all subjects or none, atomically. Settling releases the hold, adds what the request actually cost and takes its tokens.
public protocol BudgetStore: Sendable {
    /// Admits a request for every subject, holding `microUSD` (its worst case) of each monthly cap, or says which
    /// limit refuses it. A refusal changes nothing.
    func reserve(_ subjects: [BudgetSubject], microUSD: Int64, at date: Date) async throws -> BudgetDecision
    /// Releases the reservation and counts what the request used. A reservation counts once: settling it again, or
    /// a day after its hold lapsed (its record is gone by then), changes nothing.
    func settle(_ reservation: BudgetReservation, tokens: Int, microUSD: Int64, at date: Date) async throws
    /// This UTC month's settled spend of a subject, in micro-dollars.
    func spent(_ subject: String, at date: Date) async throws -> Int64
}

/// One subject's state: this month's spend and its two buckets. Both backends keep exactly this.
public struct BudgetState: Sendable, Hashable {
    public var month: String
    public var spentMicroUSD: Int64
    /// Requests left in the RPM bucket and when it was last refilled; nil is a full bucket.
    public var requests: Bucket?
    public var tokens: Bucket?

    public struct Bucket: Sendable, Hashable {
        public var level: Double
        public var updated: Date
        public init(level: Double, updated: Date) { self.level = level; self.updated = updated }
    }

    public init(month: String, spentMicroUSD: Int64 = 0, requests: Bucket? = nil, tokens: Bucket? = nil) {
        self.month = month
        self.spentMicroUSD = spentMicroUSD
        self.requests = requests
        self.tokens = tokens
    }
}

/// The arithmetic of budgets, shared by every backend so that they decide alike: token buckets, months, and
/// reservations.
public enum BudgetMath {
    /// How long a reservation holds if its request never settles.
    public static let holdLifetime: TimeInterval = 3600

    /// The UTC year and month of an instant, by arithmetic on days since 1970 (the proleptic Gregorian calendar):
    /// no shared `Calendar`, which is not safe to use from many threads at once.
    static func yearMonth(of date: Date) -> (year: Int, month: Int) {
        let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) + 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153  // months from March
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month)
    }

    /// The first instant of a UTC month.
    static func start(year: Int, month: Int) -> Date {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return Date(timeIntervalSince1970: Double(era * 146_097 + dayOfEra - 719_468) * 86_400)
    }

    /// `2026-12` for any instant of December 2026 (UTC).
    public static func month(of date: Date) -> String {
        let (year, month) = yearMonth(of: date)
        return "\(year)-\(month < 10 ? "0" : "")\(month)"
    }

    /// The first instant of the UTC month `date` is in.
    public static func monthStart(of date: Date) -> Date {
        let (year, month) = yearMonth(of: date)
        return start(year: year, month: month)
    }

    /// The first instant of the next UTC month.
    public static func nextMonth(after date: Date) -> Date {
        let (year, month) = yearMonth(of: date)
        return month == 12 ? start(year: year + 1, month: 1) : start(year: year, month: month + 1)
    }

    /// US dollars as micro-dollars: a cap rounds down, a worst case up, an actual cost to the nearest.
    public static func micro(_ dollars: Double, _ rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> Int64 {
        guard dollars.isFinite, dollars > 0 else { return 0 }
        return Int64((dollars * 1_000_000).rounded(rule))
    }

    /// Micro-dollars as a short dollar amount (`0.01`, `25`).
    public static func dollars(_ micro: Int64) -> String {
        let value = Double(micro) / 1_000_000
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func refill(_ bucket: BudgetState.Bucket?, perMinute: Int, at date: Date) -> BudgetState.Bucket {
        let capacity = Double(perMinute)
        guard let bucket else { return .init(level: capacity, updated: date) }
        let elapsed = max(0, date.timeIntervalSince(bucket.updated))
        return .init(level: min(capacity, bucket.level + elapsed * capacity / 60), updated: max(date, bucket.updated))
    }

    /// A subject's state in `month`: a new one starts empty, and a new month starts its spend again (the buckets carry on).
    static func current(_ state: BudgetState?, month: String) -> BudgetState {
        guard let state else { return BudgetState(month: month) }
        return state.month == month ? state : BudgetState(month: month, requests: state.requests, tokens: state.tokens)
    }

    /// How long until a bucket below one holds one again.
    static func wait(for bucket: BudgetState.Bucket, perMinute: Int) -> Duration {
        .seconds(max(1, ((1 - bucket.level) * 60 / Double(perMinute)).rounded(.up)))
    }

    /// The states after admitting a request, or the first limit that refuses it.
    ///
    /// - Parameters:
    ///   - states: each subject's state (a subject with none starts empty this month).
    ///   - held: what unexpired reservations of other requests hold of each subject's cap.
    ///   - microUSD: this request's worst case; a request of unknown price (0) needs one micro-dollar of room.
    public static func reserve(_ subjects: [BudgetSubject], states: [String: BudgetState], held: [String: Int64],
                               microUSD: Int64, at date: Date) -> Result<[String: BudgetState], BudgetRefusal> {
        let month = month(of: date)
        var next: [String: BudgetState] = [:]
        for subject in subjects {
            var state = current(states[subject.name], month: month)
            if let cap = subject.monthlyMicroUSD {
                let need = max(microUSD, 1)
                let holding = held[subject.name] ?? 0
                if state.spentMicroUSD + holding + need > cap {
                    // Settled spend alone leaves room: concurrent requests hold it, and will release what they do not use.
                    let soon = state.spentMicroUSD + need <= cap
                    let wait = soon ? 1 : max(1, nextMonth(after: date).timeIntervalSince(date).rounded(.up))
                    return .failure(BudgetRefusal(subject: subject.name, limit: .monthlySpend(capMicroUSD: cap), retryAfter: .seconds(wait)))
                }
            }
            if let rpm = subject.rpm {
                var bucket = refill(state.requests, perMinute: rpm, at: date)
                guard bucket.level >= 1 else {
                    return .failure(BudgetRefusal(subject: subject.name, limit: .requestsPerMinute(rpm), retryAfter: wait(for: bucket, perMinute: rpm)))
                }
                bucket.level -= 1
                state.requests = bucket
            }
            if let tpm = subject.tpm {
                let bucket = refill(state.tokens, perMinute: tpm, at: date)
                guard bucket.level > 0 else {
                    return .failure(BudgetRefusal(subject: subject.name, limit: .tokensPerMinute(tpm), retryAfter: wait(for: bucket, perMinute: tpm)))
                }
                state.tokens = bucket
            }
            next[subject.name] = state
        }
        return .success(next)
    }

    /// The states after a request that used `tokens` and cost `microUSD` ends.
    public static func settle(_ subjects: [BudgetSubject], states: [String: BudgetState], tokens: Int, microUSD: Int64,
                              at date: Date) -> [String: BudgetState] {
        let month = month(of: date)
        var next: [String: BudgetState] = [:]
        for subject in subjects {
            var state = current(states[subject.name], month: month)
            if let tpm = subject.tpm {
                var bucket = refill(state.tokens, perMinute: tpm, at: date)
                bucket.level -= Double(tokens)
                state.tokens = bucket
            }
            state.spentMicroUSD += max(0, microUSD)
            next[subject.name] = state
        }
        return next
    }
}

/// Budgets kept in this process, exact under concurrency (every decision under one lock): for one `centaur serve`
/// on SQLite, which is one process. This month's spend starts from what the traces say was spent.
public final class LocalBudgets: BudgetStore {
    private struct State {
        var subjects: [String: BudgetState] = [:]
        var holds: [String: BudgetReservation] = [:]
    }

    private let state: Mutex<State>

    /// - Parameter spent: this month's spend so far per subject, in micro-dollars.
    public init(spent: [String: Int64] = [:], at date: Date = Date()) {
        let month = BudgetMath.month(of: date)
        state = Mutex(State(subjects: spent.mapValues { BudgetState(month: month, spentMicroUSD: $0) }))
    }

    public func reserve(_ subjects: [BudgetSubject], microUSD: Int64, at date: Date) async throws -> BudgetDecision {
        state.withLock { state in
            // Lapsed holds stop counting; their records stay a day, so a late settle still counts once.
            state.holds = state.holds.filter { $0.value.expiresAt.addingTimeInterval(86_400) > date }
            var held: [String: Int64] = [:]
            for hold in state.holds.values where hold.expiresAt > date {
                for subject in hold.subjects { held[subject.name, default: 0] += hold.microUSD }
            }
            switch BudgetMath.reserve(subjects, states: state.subjects, held: held, microUSD: microUSD, at: date) {
            case .failure(let refusal):
                return .refused(refusal)
            case .success(let next):
                state.subjects.merge(next) { _, new in new }
                let reservation = BudgetReservation(id: UUID().uuidString, subjects: subjects, microUSD: microUSD,
                                                    expiresAt: date.addingTimeInterval(BudgetMath.holdLifetime))
                state.holds[reservation.id] = reservation
                return .admitted(reservation)
            }
        }
    }

    public func settle(_ reservation: BudgetReservation, tokens: Int, microUSD: Int64, at date: Date) async throws {
        state.withLock { state in
            guard state.holds.removeValue(forKey: reservation.id) != nil else { return }
            let next = BudgetMath.settle(reservation.subjects, states: state.subjects, tokens: tokens, microUSD: microUSD, at: date)
            state.subjects.merge(next) { _, new in new }
        }
    }

    public func spent(_ subject: String, at date: Date) async throws -> Int64 {
        state.withLock { state in
            guard let current = state.subjects[subject], current.month == BudgetMath.month(of: date) else { return 0 }
            return current.spentMicroUSD
        }
    }
}
