import CentaurStore
import Foundation
import PostgresNIO

/// Budgets shared by every replica. Each decision is one call of a function in the database (migration 0005) that
/// locks its subjects' rows (`FOR UPDATE`, in name order, so two requests never wait on each other crosswise) and
/// applies ``BudgetMath``'s arithmetic, written again in PL/pgSQL so that the locks are held for one statement, not
/// several round trips; the contract tests hold both to the same results. A refusal changes nothing. Holds are rows of
/// their own, so a replica that dies mid-request leaves a hold that lapses (``BudgetMath/holdLifetime``) rather than a
/// count that never comes back.
extension PostgresStore: BudgetStore {
    public func reserve(_ subjects: [BudgetSubject], microUSD: Int64, at date: Date) async throws -> BudgetDecision {
        let subjects = subjects.sorted { $0.name < $1.name }
        let reservation = BudgetReservation(id: UUID().uuidString.lowercased(), subjects: subjects, microUSD: microUSD,
                                            expiresAt: date.addingTimeInterval(BudgetMath.holdLifetime))
        guard !subjects.isEmpty else { return .admitted(reservation) }
        // Bounded: a decision that cannot be made in time is a refusal (503) upstream. One abandoned after it committed
        // leaves a hold nobody settles, which lapses: never an overspend.
        return try await bounded {
            let rows = try await self.client.query("""
                SELECT subject, limit_kind, limit_value, retry_after FROM centaur_budget_reserve(
                    \(subjects.map(\.name)), \(subjects.map { Int64($0.rpm ?? 0) }), \(subjects.map { Int64($0.tpm ?? 0) }),
                    \(subjects.map { $0.monthlyMicroUSD ?? -1 }), \(microUSD), \(reservation.id), \(Self.seconds(date)),
                    \(BudgetMath.month(of: date)), \(Self.seconds(reservation.expiresAt)), \(Self.seconds(BudgetMath.nextMonth(after: date))))
                """, logger: self.logger)
            for try await (subject, kind, value, wait) in rows.decode((String, String, Int64, Double).self) {
                let limit: BudgetRefusal.Limit = switch kind {
                case "rpm": .requestsPerMinute(Int(value))
                case "tpm": .tokensPerMinute(Int(value))
                default: .monthlySpend(capMicroUSD: value)
                }
                return .refused(BudgetRefusal(subject: subject, limit: limit, retryAfter: .seconds(wait)))
            }
            return .admitted(reservation)
        }
    }

    public func settle(_ reservation: BudgetReservation, tokens: Int, microUSD: Int64, at date: Date) async throws {
        let subjects = reservation.subjects.sorted { $0.name < $1.name }
        guard !subjects.isEmpty else { return }
        try await bounded {
            try await self.execute("""
                SELECT centaur_budget_settle(\(reservation.id), \(subjects.map(\.name)), \(subjects.map { Int64($0.tpm ?? 0) }),
                    \(Int64(tokens)), \(microUSD), \(Self.seconds(date)), \(BudgetMath.month(of: date)))
                """)
        }
    }

    public func spent(_ subject: String, at date: Date) async throws -> Int64 {
        try await ready()
        let rows = try await client.query("SELECT month, spent_micro FROM budget_subject WHERE subject = \(subject)", logger: logger)
        for try await (month, spent) in rows.decode((String, Int64).self) where month == BudgetMath.month(of: date) { return spent }
        return 0
    }
}
