import CentaurPostgres
import CentaurStore
import CentaurTestSupport
import Foundation
import Testing

/// What only a shared server has to get right: replicas (here, stores on one schema) starting and writing at once.
@Suite("PostgreSQL across replicas", .enabled(if: StoreKind.allCases.contains(.postgres), "set CENTAUR_TEST_POSTGRES_URL (scripts/test starts a server)"))
struct PostgresStoreTests {
    static func replicas(_ count: Int) throws -> [PostgresStore] {
        let url = try #require(StoreKind.postgresURL, "scripts/test sets CENTAUR_TEST_POSTGRES_URL")
        let schema = "r_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return try (0..<count).map { _ in try PostgresStore(url: url, schema: schema, maximumConnections: 8, readyTimeout: .seconds(240), callTimeout: .seconds(120)) }
    }

    @Test("replicas starting together apply each migration once")
    func migrationsOnce() async throws {
        let stores = try Self.replicas(4)
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for store in stores { group.addTask { try await store.appliedMigrations() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = ["0001-create-stores", "0002-create-blob", "0003-trace-filter-indexes", "0004-create-budgets", "0005-budget-functions",
                   "0006-fair-jobs", "0007-trace-partitions", "0008-create-retrieval-index"]
        #expect(applied.count == 4 && applied.allSatisfy { $0 == all }, "\(applied)")
    }

    @Test("the filters of /api/traces can use an index: tags by GIN containment, status, model and key by time")
    func traceIndexes() async throws {
        let url = try #require(StoreKind.postgresURL)
        let schema = "i_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let store = try PostgresStore(url: url, schema: schema, maximumConnections: 2, readyTimeout: .seconds(240), callTimeout: .seconds(120))
        try await store.insert((1...50).map { trace($0, tags: ["feature": $0 % 2 == 0 ? "onboarding" : "chat"]) })
        #expect(try await store.traces(TraceQuery(tag: (name: "feature", value: "onboarding"), limit: 100)).traces.count == 25)
        // Each month's partition has the parent's indexes, named by PostgreSQL after their columns.
        for (filter, index) in [(#"tags @> '{"feature": "onboarding"}'::jsonb"#, "_tags_idx"), ("status = 'error'", "_status_started_at_idx"),
                                ("model = 'claude'", "_model_started_at_idx"), ("key_id = 'key-1'", "_key_id_started_at_idx")] {
            let plan = try Self.psql(url, "SET search_path TO \(schema); SET enable_seqscan = off; EXPLAIN SELECT id FROM trace WHERE \(filter)")
            #expect(plan.contains(index), "\(filter): \(plan)")
        }
    }

    static func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-Atq", "-c", sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }

    @Test("two replicas appending to the audit log at once leave one whole chain")
    func auditChain() async throws {
        let stores = try Self.replicas(2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    for n in 0..<20 { try await Workflow.create(store, "a\(index)-\(n)") }
                }
            }
            try await group.waitForAll()
        }
        let entries = try await stores[0].auditEntries(target: nil)
        #expect(entries.count == 40 && entries.map(\.seq) == Array(1...40))
        let verification = AuditVerification.verify(entries, head: try await stores[1].auditHead())
        #expect(verification.valid, "\(verification)")
    }

    @Test("workers on two replicas never lease the same job")
    func claimsOnce() async throws {
        let stores = try Self.replicas(2)
        let jobs = (0..<40).map { Workflow.job("j\($0)", application: "a", runAfter: 0) }
        try await stores[0].enqueue(jobs)
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, store) in stores.enumerated() {
                for worker in 0..<4 {
                    group.addTask {
                        var mine: [String] = []
                        while let job = try await store.claimJob(now: Date(timeIntervalSince1970: 1_763_000_100),
                                                                 leaseUntil: Date(timeIntervalSince1970: 1_763_000_700), worker: "r\(index)w\(worker)") {
                            mine.append(job.id)
                        }
                        return mine
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(ids.count == 40 && Set(ids) == Set(jobs.map(\.id)), "each job once: \(ids.count) leases")
    }
}

extension PostgresStoreTests {
    /// `count` requests spread over the replicas, each reserving `worst` and settling `cost` through the other replica.
    static func spread(_ stores: [PostgresStore], _ subjects: [BudgetSubject], count: Int, worst: Int64, cost: Int64) async throws -> Int {
        let at = Date(timeIntervalSince1970: 1_764_547_200)
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<count {
                group.addTask {
                    guard case .admitted(let reservation) = try await stores[n % 2].reserve(subjects, microUSD: worst, at: at) else { return false }
                    try await stores[(n + 1) % 2].settle(reservation, tokens: 10, microUSD: cost, at: at)
                    return true
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
    }

    @Test("two replicas share one budget: 64 requests over both against 40 a minute admit exactly 40; 200 against a cap stay under it")
    func sharedBudget() async throws {
        let stores = try Self.replicas(2)
        #expect(try await Self.spread(stores, [BudgetSubject(name: "key:rpm", rpm: 40)], count: 64, worst: 0, cost: 0) == 40)
        let admitted = try await Self.spread(stores, [BudgetSubject(name: "key:cap", monthlyMicroUSD: 1_000_000)], count: 200, worst: 10_000, cost: 9_000)
        let spent = try await stores[1].spent("key:cap", at: Date(timeIntervalSince1970: 1_764_547_200))
        #expect(spent == Int64(admitted) * 9_000 && spent <= 1_000_000 && admitted >= 100, "\(admitted), \(spent)")
    }
}

extension PostgresStoreTests {
    @Test("a job queued through one replica wakes a listener on another (LISTEN/NOTIFY): the listener has no poll of its own")
    func jobNotifications() async throws {
        let stores = try Self.replicas(2)
        // The listener wakes once when it starts listening and then once per notification, never on a timer, so a
        // second wake can only be the enqueue's NOTIFY. (A bound on the time, 10 s, failed under the full suite's load.)
        let wakes = Counter()
        let listener = Task { try await stores[1].listenForJobs { wakes.add() } }
        defer { listener.cancel() }
        func waitForWakes(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(120)
            while wakes.count < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        }
        try await waitForWakes(1)
        #expect(wakes.count == 1, "listening")
        let now = Date()
        try await stores[0].enqueue([JobRecord(id: "n1", kind: "extract", subject: "s", runAfter: now, createdAt: now, updatedAt: now)])
        try await waitForWakes(2)
        #expect(wakes.count == 2, "woken by the notification")
        #expect(try await stores[1].claimJob(now: Date(), leaseUntil: Date().addingTimeInterval(60), worker: "w")?.id == "n1")
    }
}
