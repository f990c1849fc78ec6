import CentaurPostgres
import CentaurStore
import Foundation
import Testing

/// What only a shared server has to get right: replicas (here, stores on one schema) starting and writing at once.
@Suite("PostgreSQL across replicas", .enabled(if: StoreKind.allCases.contains(.postgres), "set CENTAUR_TEST_POSTGRES_URL (scripts/test starts a server)"))
struct PostgresStoreTests {
    static func replicas(_ count: Int) throws -> [PostgresStore] {
        let url = try #require(StoreKind.postgresURL, "scripts/test sets CENTAUR_TEST_POSTGRES_URL")
        let schema = "r_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return try (0..<count).map { _ in try PostgresStore(url: url, schema: schema, maximumConnections: 8) }
    }

    @Test("replicas starting together apply each migration once")
    func migrationsOnce() async throws {
        let stores = try Self.replicas(4)
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for store in stores { group.addTask { try await store.appliedMigrations() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(applied.count == 4 && applied.allSatisfy { $0 == ["0001-create-stores", "0002-create-blob"] }, "\(applied)")
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
