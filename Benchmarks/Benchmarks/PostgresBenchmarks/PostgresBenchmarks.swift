import Benchmark
import CentaurPostgres
import CentaurStore
import Foundation

/// A store on a fresh schema of the benchmark server.
private func freshStore(_ url: String, connections: Int = 20) -> PostgresStore {
    try! PostgresStore(url: url, schema: "bench_" + UUID().uuidString.prefix(8).lowercased(), maximumConnections: connections,
                       callTimeout: .seconds(120))
}

/// Traces start now, so they go to this month's partition as a live server's do.
private let benchStart = Date()

private func trace(_ n: Int, run: String) -> TraceRecord {
    let start = benchStart.addingTimeInterval(Double(n) / 1000)
    return TraceRecord(
        id: "\(run)-\(n)", requestID: "\(run)-r\(n)", startedAt: start, endedAt: start.addingTimeInterval(0.4), keyID: "key_bench",
        team: "bench", route: "chat", surface: "openai", model: "claude", provider: "anthropic", upstreamModel: "claude-sonnet-4-5",
        attempt: 1, status: .ok, inputTokens: 420, outputTokens: 80, costUSD: 0.00246, latencyMS: 400, timeToFirstTokenMS: 120,
        tags: ["feature": "chat", "user": "u\(n % 50)"])
}

let benchmarks: @Sendable () -> Void = {
    guard let url = ProcessInfo.processInfo.environment["CENTAUR_BENCH_POSTGRES_URL"] else {
        print("PostgresBenchmarks: set CENTAUR_BENCH_POSTGRES_URL (bench/postgres/run.sh starts a throwaway server)")
        return
    }
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock], maxDuration: .seconds(5), maxIterations: 200)

    // What the trace writer does under load: one multi-row INSERT per batch of 512. Traces per second =
    // throughput (batches/s) × 512.
    let traces = freshStore(url)
    Benchmark("trace insert, batch of 512") { benchmark in
        let run = UUID().uuidString.prefix(8)
        for iteration in benchmark.scaledIterations {
            let batch = (0..<512).map { trace(iteration * 512 + $0, run: "\(run)") }
            benchmark.startMeasurement()
            try await traces.insert(batch)
            benchmark.stopMeasurement()
        }
    }

    // Four workers claiming and finishing 400 queued jobs (FOR UPDATE SKIP LOCKED): claims per second =
    // throughput (iterations/s) × 400.
    let jobs = freshStore(url)
    Benchmark("job claim + done, 4 workers, 400 jobs", configuration: .init(maxIterations: 20)) { benchmark in
        let kind = JobKind(rawValue: "bench")
        for _ in benchmark.scaledIterations {
            let now = Date()
            try await jobs.enqueue((0..<400).map { n in
                JobRecord(id: UUID().uuidString, kind: kind, subject: "s\(n)", runAfter: now, createdAt: now, updatedAt: now)
            })
            benchmark.startMeasurement()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        while let job = try await jobs.claimJob(kinds: [kind], now: Date(), leaseUntil: Date().addingTimeInterval(60), worker: "w\(worker)") {
                            try await jobs.completeJob(id: job.id, now: Date())
                        }
                    }
                }
                try await group.waitForAll()
            }
            benchmark.stopMeasurement()
        }
    }

    // The client's share of a trace batch: encoding 512 records as JSON (what the COPY stream carries), no database.
    Benchmark("trace JSON encoding, batch of 512 (client side only)") { benchmark in
        let encoder = JSONEncoder()
        let batch = (0..<512).map { trace($0, run: "json") }
        for _ in benchmark.scaledIterations {
            for record in batch { blackHole(try encoder.encode(record)) }
        }
    }

    // The same, as `JobWorker` claims: each of 4 workers takes as many jobs as it has free slots (8) in one statement
    // and finishes them concurrently. Claims per second = throughput × 400.
    let batched = freshStore(url)
    Benchmark("job claim 8 at a time + done, 4 workers, 400 jobs", configuration: .init(maxIterations: 20)) { benchmark in
        let kind = JobKind(rawValue: "bench")
        for _ in benchmark.scaledIterations {
            let now = Date()
            try await batched.enqueue((0..<400).map { n in
                JobRecord(id: UUID().uuidString, kind: kind, subject: "s\(n)", tenant: "t\(n % 10)", runAfter: now, createdAt: now, updatedAt: now)
            })
            benchmark.startMeasurement()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        while case let claimed = try await batched.claimJobs(kinds: [kind], limit: 8, now: Date(),
                                                                             leaseUntil: Date().addingTimeInterval(60), worker: "w\(worker)"),
                              !claimed.isEmpty {
                            try await withThrowingTaskGroup(of: Void.self) { done in
                                for job in claimed { done.addTask { try await batched.completeJob(id: job.id, now: Date()) } }
                                try await done.waitForAll()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            benchmark.stopMeasurement()
        }
    }

    // One request's budget work on PostgreSQL: reserve (locks the key's and the team's rows) and settle.
    let budgets = freshStore(url)
    let subjects = [BudgetSubject(name: "key:bench", rpm: 1_000_000_000, monthlyMicroUSD: 1_000_000_000_000),
                    BudgetSubject(name: "team:bench", tpm: 1_000_000_000_000)]
    Benchmark("budget reserve + settle (key and team)") { benchmark in
        for _ in benchmark.scaledIterations {
            guard case .admitted(let reservation) = try await budgets.reserve(subjects, microUSD: 5_000, at: Date()) else {
                fatalError("refused")
            }
            try await budgets.settle(reservation, tokens: 500, microUSD: 2_460, at: Date())
        }
    }
}
