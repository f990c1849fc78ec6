import CentaurStore
import Foundation
import PostgresNIO

/// Budgets shared by every replica: each decision locks the rows of its subjects (`SELECT … FOR UPDATE`, in name
/// order, so two requests never wait on each other crosswise) and decides with ``BudgetMath``, as the in-process
/// budgets do; a refusal changes nothing. Holds are rows of their own, so a replica that dies mid-request leaves a
/// hold that lapses (``BudgetMath/holdLifetime``) rather than a count that never comes back.
extension PostgresStore: BudgetStore {
    /// Locks the subjects' rows (creating any that are missing) and reads their states with what unexpired holds
    /// of other requests keep of each cap.
    private func lockedStates(_ names: [String], at date: Date, on connection: PostgresConnection)
        async throws -> (states: [String: BudgetState], held: [String: Int64]) {
        try await execute("""
            INSERT INTO budget_subject (subject, month) SELECT unnest(\(names)::text[]), \(BudgetMath.month(of: date))
            ON CONFLICT (subject) DO NOTHING
            """, on: connection)
        let rows = try await connection.query("""
            SELECT subject, month, spent_micro, requests_level, requests_updated, tokens_level, tokens_updated
            FROM budget_subject WHERE subject = ANY(\(names)) ORDER BY subject FOR UPDATE
            """, logger: logger)
        var states: [String: BudgetState] = [:]
        for try await (subject, month, spent, requestsLevel, requestsUpdated, tokensLevel, tokensUpdated)
            in rows.decode((String, String, Int64, Double?, Double?, Double?, Double?).self) {
            func bucket(_ level: Double?, _ updated: Double?) -> BudgetState.Bucket? {
                guard let level, let updated else { return nil }
                return .init(level: level, updated: Date(timeIntervalSince1970: updated))
            }
            states[subject] = BudgetState(month: month, spentMicroUSD: spent, requests: bucket(requestsLevel, requestsUpdated),
                                          tokens: bucket(tokensLevel, tokensUpdated))
        }
        // A statement of its own, after the locks: read committed takes its snapshot per statement, and a subquery in
        // the locking SELECT would see the holds as they were before it waited for the lock.
        var held: [String: Int64] = [:]
        let holds = try await connection.query("""
            SELECT subject, SUM(micro)::bigint FROM budget_hold
            WHERE subject = ANY(\(names)) AND expires_at > \(Self.seconds(date)) GROUP BY subject
            """, logger: logger)
        for try await (subject, holding) in holds.decode((String, Int64).self) { held[subject] = holding }
        return (states, held)
    }

    private func save(_ states: [String: BudgetState], on connection: PostgresConnection) async throws {
        for (subject, state) in states.sorted(by: { $0.key < $1.key }) {
            try await execute("""
                UPDATE budget_subject SET month = \(state.month), spent_micro = \(state.spentMicroUSD),
                    requests_level = \(state.requests?.level), requests_updated = \(state.requests.map { Self.seconds($0.updated) }),
                    tokens_level = \(state.tokens?.level), tokens_updated = \(state.tokens.map { Self.seconds($0.updated) })
                WHERE subject = \(subject)
                """, on: connection)
        }
    }

    public func reserve(_ subjects: [BudgetSubject], microUSD: Int64, at date: Date) async throws -> BudgetDecision {
        let subjects = subjects.sorted { $0.name < $1.name }
        let names = subjects.map(\.name)
        let reservation = BudgetReservation(id: UUID().uuidString.lowercased(), subjects: subjects, microUSD: microUSD,
                                            expiresAt: date.addingTimeInterval(BudgetMath.holdLifetime))
        guard !subjects.isEmpty else { return .admitted(reservation) }
        // Bounded: a decision that cannot be made in time is a refusal (503) upstream. One abandoned after it committed
        // leaves a hold nobody settles, which lapses: never an overspend.
        return try await bounded { try await self.transaction { connection in
            let (states, held) = try await self.lockedStates(names, at: date, on: connection)
            switch BudgetMath.reserve(subjects, states: states, held: held, microUSD: microUSD, at: date) {
            case .failure(let refusal):
                return .refused(refusal)
            case .success(let next):
                try await self.save(next, on: connection)
                try await self.execute("""
                    INSERT INTO budget_hold (id, subject, micro, expires_at)
                    SELECT \(reservation.id), unnest(\(names)::text[]), \(microUSD), \(Self.seconds(reservation.expiresAt))
                    """, on: connection)
                return .admitted(reservation)
            }
        } }
    }

    public func settle(_ reservation: BudgetReservation, tokens: Int, microUSD: Int64, at date: Date) async throws {
        let subjects = reservation.subjects.sorted { $0.name < $1.name }
        guard !subjects.isEmpty else { return }
        let names = subjects.map(\.name)
        try await bounded { try await self.transaction { connection in
            // The hold's rows are the proof it has not been counted: settling again finds none and changes nothing.
            guard try await self.execute("DELETE FROM budget_hold WHERE id = \(reservation.id) RETURNING 1", on: connection) > 0 else { return }
            let (states, _) = try await self.lockedStates(names, at: date, on: connection)
            try await self.save(BudgetMath.settle(subjects, states: states, tokens: tokens, microUSD: microUSD, at: date), on: connection)
            // Holds of requests that never settled, a day after they lapsed.
            try await self.execute("""
                DELETE FROM budget_hold WHERE subject = ANY(\(names)) AND expires_at < \(Self.seconds(date) - 86_400)
                """, on: connection)
        } }
    }

    public func spent(_ subject: String, at date: Date) async throws -> Int64 {
        try await ready()
        let rows = try await client.query("SELECT month, spent_micro FROM budget_subject WHERE subject = \(subject)", logger: logger)
        for try await (month, spent) in rows.decode((String, Int64).self) where month == BudgetMath.month(of: date) { return spent }
        return 0
    }
}
