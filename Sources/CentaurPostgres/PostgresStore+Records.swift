import CentaurStore
import Foundation
import PostgresNIO

extension PostgresStore: APIKeyStore {
    public func insert(_ key: APIKeyRecord) async throws {
        try await execute("""
            INSERT INTO api_key (id, hash, created_at, revoked, record)
            VALUES (\(key.id), \(key.hash), \(Self.seconds(key.createdAt)), \(key.revokedAt != nil), \(try Self.json(key))::jsonb)
            """)
    }

    public func key(hash: String) async throws -> APIKeyRecord? {
        try await bounded { try await self.records(APIKeyRecord.self, "SELECT record::text FROM api_key WHERE hash = \(hash) AND NOT revoked").first }
    }

    public func keys() async throws -> [APIKeyRecord] {
        try await records(APIKeyRecord.self, "SELECT record::text FROM api_key ORDER BY created_at, pos")
    }

    public func revoke(id: String, at date: Date) async throws -> Bool {
        try await transaction { connection in
            guard var key = try await records(APIKeyRecord.self, "SELECT record::text FROM api_key WHERE id = \(id) AND NOT revoked FOR UPDATE",
                                              on: connection).first else { return false }
            key.revokedAt = date
            try await execute("UPDATE api_key SET revoked = true, record = \(try Self.json(key))::jsonb WHERE id = \(id)", on: connection)
            return true
        }
    }
}

extension PostgresStore: ResponseCacheStore {
    public func cachedResponse(key: String, now: Date) async throws -> CachedResponseRecord? {
        try await records(CachedResponseRecord.self,
                          "SELECT record::text FROM response_cache WHERE key = \(key) AND expires_at > \(Self.seconds(now))").first
    }

    public func store(_ entry: CachedResponseRecord) async throws {
        try await execute("""
            INSERT INTO response_cache (key, expires_at, record) VALUES (\(entry.key), \(Self.seconds(entry.expiresAt)), \(try Self.json(entry))::jsonb)
            ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, record = excluded.record
            """)
    }

    public func purgeExpired(now: Date) async throws -> Int {
        try await execute("DELETE FROM response_cache WHERE expires_at <= \(Self.seconds(now)) RETURNING 1")
    }
}

extension PostgresStore: UserStore {
    public func insert(_ user: UserRecord) async throws {
        let inserted = try await execute("""
            INSERT INTO web_user (id, username, record) VALUES (\(user.id), \(user.username), \(try Self.json(user))::jsonb)
            ON CONFLICT DO NOTHING RETURNING 1
            """)
        guard inserted == 1 else { throw StoreError("a user named \(user.username) already exists") }
    }

    public func user(username: String) async throws -> UserRecord? {
        try await records(UserRecord.self, "SELECT record::text FROM web_user WHERE username = \(username)").first
    }

    public func user(id: String) async throws -> UserRecord? {
        try await records(UserRecord.self, "SELECT record::text FROM web_user WHERE id = \(id)").first
    }

    public func users() async throws -> [UserRecord] {
        try await records(UserRecord.self, "SELECT record::text FROM web_user ORDER BY username")
    }

    public func startSession(_ session: SessionRecord) async throws {
        try await transaction { connection in
            try await execute("DELETE FROM web_session WHERE expires_at <= \(Self.seconds(session.createdAt)) OR user_id = \(session.userID)",
                              on: connection)
            try await execute("""
                INSERT INTO web_session (id_hash, user_id, expires_at, record)
                VALUES (\(session.idHash), \(session.userID), \(Self.seconds(session.expiresAt)), \(try Self.json(session))::jsonb)
                """, on: connection)
        }
    }

    public func session(idHash: String, now: Date) async throws -> SessionRecord? {
        try await records(SessionRecord.self,
                          "SELECT record::text FROM web_session WHERE id_hash = \(idHash) AND expires_at > \(Self.seconds(now))").first
    }

    public func deleteSession(idHash: String) async throws {
        try await execute("DELETE FROM web_session WHERE id_hash = \(idHash)")
    }

    public func setDisabled(username: String, at date: Date?) async throws -> Bool {
        try await updateUser(username) { $0.disabledAt = date }
    }

    public func setPasswordHash(username: String, hash: String) async throws -> Bool {
        try await updateUser(username) { $0.passwordHash = hash }
    }

    /// Changes a user and ends their sessions, in one transaction.
    private func updateUser(_ username: String, _ change: @Sendable (inout UserRecord) -> Void) async throws -> Bool {
        try await transaction { connection in
            guard var user = try await records(UserRecord.self, "SELECT record::text FROM web_user WHERE username = \(username) FOR UPDATE",
                                               on: connection).first else { return false }
            change(&user)
            try await execute("UPDATE web_user SET record = \(try Self.json(user))::jsonb WHERE id = \(user.id)", on: connection)
            try await execute("DELETE FROM web_session WHERE user_id = \(user.id)", on: connection)
            return true
        }
    }
}

extension PostgresStore: EvalStore {
    public func saveRun(_ run: EvalRunRecord) async throws {
        try await execute("""
            INSERT INTO eval_run (id, started_at, record) VALUES (\(run.id), \(Self.seconds(run.startedAt)), \(try Self.json(run))::jsonb)
            ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, record = excluded.record
            """)
    }

    public func run(id: String) async throws -> EvalRunRecord? {
        try await records(EvalRunRecord.self, "SELECT record::text FROM eval_run WHERE id = \(id)").first
    }

    public func runs(limit: Int) async throws -> [EvalRunRecord] {
        try await records(EvalRunRecord.self, "SELECT record::text FROM eval_run ORDER BY started_at DESC LIMIT \(limit)")
    }

    public func insertResults(_ results: [EvalResultRecord]) async throws {
        guard !results.isEmpty else { return }
        try await transaction { connection in
            for result in results {
                // A case run again replaces its result in place (its position is kept).
                try await execute("""
                    INSERT INTO eval_result (run_id, case_id, record) VALUES (\(result.runID), \(result.caseID), \(try Self.json(result))::jsonb)
                    ON CONFLICT (run_id, case_id) DO UPDATE SET record = excluded.record
                    """, on: connection)
            }
        }
    }

    public func results(runID: String) async throws -> [EvalResultRecord] {
        try await records(EvalResultRecord.self, "SELECT record::text FROM eval_result WHERE run_id = \(runID) ORDER BY pos")
    }

    public func cachedAnswer(key: String) async throws -> String? {
        try await ready()
        for try await answer in try await client.query("SELECT answer FROM eval_cache WHERE key = \(key)", logger: logger).decode(String.self) {
            return answer
        }
        return nil
    }

    public func cacheAnswers(_ answers: [(key: String, answer: String)]) async throws {
        guard !answers.isEmpty else { return }
        let now = Self.seconds(Date())
        try await transaction { connection in
            for (key, answer) in answers {
                try await execute("""
                    INSERT INTO eval_cache (key, answer, created_at) VALUES (\(key), \(answer), \(now))
                    ON CONFLICT (key) DO UPDATE SET answer = excluded.answer, created_at = excluded.created_at
                    """, on: connection)
            }
        }
    }
}
