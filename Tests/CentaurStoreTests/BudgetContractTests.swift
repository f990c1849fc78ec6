import CentaurStore
import Foundation
import Testing

/// The same budget decisions from every backend (in process, PostgreSQL): exact under concurrency.
struct BudgetStoreContract {
    static let start = Date(timeIntervalSince1970: 1_764_547_200)  // 2025-12-01 00:00 UTC

    static func key(rpm: Int? = nil, tpm: Int? = nil, cap: Int64? = nil) -> BudgetSubject {
        BudgetSubject(name: "key:k", rpm: rpm, tpm: tpm, monthlyMicroUSD: cap)
    }

    @Test("64 concurrent requests against 40 per minute: exactly 40 admitted; the refused took nothing from the team", arguments: StoreKind.allCases)
    func exactRequests(kind: StoreKind) async throws {
        let budgets = try kind.budgets()
        let subjects = [Self.key(rpm: 40), BudgetSubject(name: "team:t", rpm: 100)]
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    if case .admitted = try await budgets.reserve(subjects, microUSD: 0, at: Self.start) { return true }
                    return false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 40)
        var more = 0
        for _ in 0..<1000 {
            if case .admitted = try await budgets.reserve([BudgetSubject(name: "team:t", rpm: 100)], microUSD: 0, at: Self.start) { more += 1 }
        }
        #expect(more == 60)
        // The bucket refills at 40 a minute: 1.5 s later one more fits, and the refusal said when.
        guard case .refused(let refusal) = try await budgets.reserve(subjects, microUSD: 0, at: Self.start) else {
            Issue.record("the 41st request was admitted")
            return
        }
        #expect(refusal.limit == .requestsPerMinute(40) && refusal.retryAfter == .seconds(2))
        #expect(refusal.error.message.contains("40 requests per minute"))
        guard case .admitted = try await budgets.reserve(subjects, microUSD: 0, at: Self.start.addingTimeInterval(1.5)) else {
            Issue.record("the refilled bucket refused")
            return
        }
    }

    @Test("200 concurrent requests against a monthly cap: spend never passes it, and what holds released is used", arguments: StoreKind.allCases)
    func exactSpend(kind: StoreKind) async throws {
        let budgets = try kind.budgets()
        let subjects = [Self.key(cap: 1_000_000)]  // $1
        // Each reserves a worst case of 1 cent and costs 0.7 cent.
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    guard case .admitted(let reservation) = try await budgets.reserve(subjects, microUSD: 10_000, at: Self.start) else { return false }
                    try await budgets.settle(reservation, tokens: 100, microUSD: 7_000, at: Self.start)
                    return true
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        let spent = try await budgets.spent("key:k", at: Self.start)
        #expect(spent == Int64(admitted) * 7_000)
        #expect(spent <= 1_000_000)
        #expect(admitted >= 100, "at least the requests whose worst cases fit at once: \(admitted)")
        // Sequentially the cap is filled as far as a worst case still fits: 1,000,000 - 10,000 < spend.
        while case .admitted(let reservation) = try await budgets.reserve(subjects, microUSD: 10_000, at: Self.start) {
            try await budgets.settle(reservation, tokens: 0, microUSD: 7_000, at: Self.start)
        }
        let full = try await budgets.spent("key:k", at: Self.start)
        #expect(full <= 1_000_000 && full > 990_000)
        guard case .refused(let refusal) = try await budgets.reserve(subjects, microUSD: 10_000, at: Self.start) else { return }
        #expect(refusal.retryAfter > .seconds(86_400))  // next month
        #expect(refusal.error.message.contains("monthly budget of $1"))
        // A new month starts empty.
        let january = Self.start.addingTimeInterval(31 * 86_400)
        guard case .admitted = try await budgets.reserve(subjects, microUSD: 10_000, at: january) else {
            Issue.record("the new month refused")
            return
        }
        #expect(try await budgets.spent("key:k", at: january) == 0)
    }

    @Test("a hold counts until it settles or lapses; settling twice counts once; concurrent holds ask to retry soon", arguments: StoreKind.allCases)
    func holds(kind: StoreKind) async throws {
        let budgets = try kind.budgets()
        let subjects = [Self.key(cap: 100)]
        guard case .admitted(let first) = try await budgets.reserve(subjects, microUSD: 60, at: Self.start) else {
            Issue.record("refused")
            return
        }
        // 60 of 100 held: another 60 does not fit now, but will once the first settles.
        guard case .refused(let busy) = try await budgets.reserve(subjects, microUSD: 60, at: Self.start) else {
            Issue.record("two holds passed the cap")
            return
        }
        #expect(busy.retryAfter == .seconds(1))
        try await budgets.settle(first, tokens: 0, microUSD: 30, at: Self.start)
        try await budgets.settle(first, tokens: 0, microUSD: 30, at: Self.start)
        #expect(try await budgets.spent("key:k", at: Self.start) == 30)
        // A request whose replica died never settles: its hold lapses after an hour.
        guard case .admitted = try await budgets.reserve(subjects, microUSD: 60, at: Self.start) else {
            Issue.record("refused after the settle")
            return
        }
        guard case .refused = try await budgets.reserve(subjects, microUSD: 60, at: Self.start.addingTimeInterval(60)) else {
            Issue.record("the hold did not count")
            return
        }
        guard case .admitted = try await budgets.reserve(subjects, microUSD: 60, at: Self.start.addingTimeInterval(BudgetMath.holdLifetime + 1)) else {
            Issue.record("the lapsed hold still counted")
            return
        }
    }

    @Test("tokens per minute: a request starts while the bucket is above zero and takes what it used when it ends", arguments: StoreKind.allCases)
    func tokens(kind: StoreKind) async throws {
        let budgets = try kind.budgets()
        let subjects = [Self.key(tpm: 1_000)]
        let reservations = try await withThrowingTaskGroup(of: BudgetReservation?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    if case .admitted(let reservation) = try await budgets.reserve(subjects, microUSD: 0, at: Self.start) { return reservation }
                    return nil
                }
            }
            return try await group.reduce(into: [BudgetReservation]()) { if let r = $1 { $0.append(r) } }
        }
        #expect(reservations.count == 8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for reservation in reservations {
                group.addTask { try await budgets.settle(reservation, tokens: 125, microUSD: 0, at: Self.start) }
            }
            try await group.waitForAll()
        }
        guard case .refused(let refusal) = try await budgets.reserve(subjects, microUSD: 0, at: Self.start) else {
            Issue.record("an empty bucket admitted")
            return
        }
        #expect(refusal.limit == .tokensPerMinute(1_000))
        // 8 × 125 = 1,000 taken: 3 s refill 50 tokens, enough to start again.
        guard case .admitted = try await budgets.reserve(subjects, microUSD: 0, at: Self.start.addingTimeInterval(3)) else {
            Issue.record("the refilled bucket refused")
            return
        }
    }
}

struct BudgetMathTests {
    @Test("months by arithmetic agree with Foundation's Gregorian calendar in UTC, across leap years and year ends")
    func months() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for seconds in stride(from: -86_400.0 * 400, to: 86_400.0 * 365 * 80, by: 86_400 * 3.7 + 1_234) {
            let date = Date(timeIntervalSince1970: seconds)
            let components = calendar.dateComponents([.year, .month], from: date)
            let start = calendar.date(from: components)!
            #expect(BudgetMath.month(of: date) == String(format: "%04d-%02d", components.year!, components.month!))
            #expect(BudgetMath.monthStart(of: date) == start)
            #expect(BudgetMath.nextMonth(after: date) == calendar.date(byAdding: .month, value: 1, to: start)!)
        }
        #expect(BudgetMath.month(of: Date(timeIntervalSince1970: 1_767_225_599)) == "2025-12")  // 2025-12-31 23:59:59
        #expect(BudgetMath.month(of: Date(timeIntervalSince1970: 1_767_225_600)) == "2026-01")
    }

    @Test("dollars and micro-dollars: caps round down, worst cases up, costs to the nearest")
    func micro() {
        #expect(BudgetMath.micro(0.0000015, .down) == 1 && BudgetMath.micro(0.0000015, .up) == 2 && BudgetMath.micro(0.0000015) == 2)
        #expect(BudgetMath.micro(-1) == 0 && BudgetMath.micro(.nan) == 0)
        #expect(BudgetMath.dollars(1_000_000) == "1" && BudgetMath.dollars(10_000) == "0.01" && BudgetMath.dollars(1_234_567) == "1.234567")
    }
}
