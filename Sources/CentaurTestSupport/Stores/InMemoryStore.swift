import CentaurStore
import Foundation
import Synchronization

/// Every record store in memory, with the same semantics as `SQLiteStore` (the contract tests run both): for unit
/// tests that need no database. `Stores(InMemoryStore(), blobs: InMemoryBlobStore())` is a whole set.
public final class InMemoryStore: TraceStore, APIKeyStore, ResponseCacheStore, UserStore, EvalStore, WorkflowStore {
    /// Rows in insertion order (SQLite's rowid order), so ties sort as the database sorts them.
    struct State {
        var traces: [TraceRecord] = []
        var keys: [APIKeyRecord] = []
        var cache: [String: CachedResponseRecord] = [:]
        var users: [UserRecord] = []
        var sessions: [SessionRecord] = []
        var runs: [EvalRunRecord] = []
        var results: [EvalResultRecord] = []
        var answers: [String: String] = [:]
        var applications: [ApplicationRecord] = []
        var documents: [DocumentRecord] = []
        var extractions: [ExtractionRecord] = []
        var adjustments: [AdjustmentRecord] = []
        var checks: [CheckRecord] = []
        var decisions: [DecisionRecord] = []
        var examples: [LabelledExampleRecord] = []
        var jobs: [JobRecord] = []
        var audit: [AuditEntry] = []
        var head: (seq: Int, hash: String)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Sorted by `key`, ties in insertion order.
    private static func stable<T, K: Comparable>(_ rows: [T], by key: (T) -> K) -> [T] {
        rows.enumerated().sorted { (key($0.element), $0.offset) < (key($1.element), $1.offset) }.map(\.element)
    }

    // MARK: Traces

    public func insert(_ records: [TraceRecord]) async throws {
        try state.withLock { state in
            for record in records where state.traces.contains(where: { $0.id == record.id }) { throw StoreError("duplicate trace \(record.id)") }
            for record in records where record.attempt < 1 {
                throw StoreError("trace \(record.id) breaks a constraint (attempt ≥ 1)")
            }
            state.traces += records
        }
    }

    public func traces(_ query: TraceQuery) async throws -> TracePage {
        let cursor = try query.cursor.map(TraceCursor.decode)
        let matching = state.withLock { $0.traces }.filter { r in
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
        state.withLock { $0.traces.first { $0.id == id } }
    }

    public func spend(since: Date) async throws -> [SpendRow] {
        var totals: [String: SpendRow] = [:]
        for trace in state.withLock({ $0.traces }) where trace.startedAt >= since {
            let key = "\(trace.keyID ?? "")\u{0}\(trace.team ?? "")"
            totals[key, default: SpendRow(keyID: trace.keyID, team: trace.team, costUSD: 0)].costUSD += trace.costUSD ?? 0
        }
        return Array(totals.values)
    }

    public func usage(from: Date?, to: Date?) async throws -> [UsageRow] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func day(_ date: Date) -> String {
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
        }
        let records = state.withLock { $0.traces }.filter { r in
            (from.map { r.startedAt >= $0 } ?? true) && (to.map { r.startedAt < $0 } ?? true)
        }
        let groups = Dictionary(grouping: records) { [day($0.startedAt), $0.model, $0.keyID ?? ""] }
        return groups.map { key, rows in
            UsageRow(
                day: key[0], model: key[1], keyID: rows[0].keyID, requests: Set(rows.map(\.requestID)).count, attempts: rows.count,
                inputTokens: rows.map(\.inputTokens).reduce(0, +), outputTokens: rows.map(\.outputTokens).reduce(0, +),
                cacheReadTokens: rows.map(\.cacheReadTokens).reduce(0, +), cacheWriteTokens: rows.map(\.cacheWriteTokens).reduce(0, +),
                costUSD: rows.compactMap(\.costUSD).reduce(0, +))
        }.sorted { ($0.day, $0.costUSD, $1.model) > ($1.day, $1.costUSD, $0.model) }  // day and cost descending, then model
    }

    public func purgeTraces(startedBefore date: Date) async throws -> Int {
        state.withLock { state in
            let before = state.traces.count
            state.traces.removeAll { $0.startedAt < date }
            return before - state.traces.count
        }
    }

    public func requestCount() async throws -> Int {
        Set(state.withLock { $0.traces }.map(\.requestID)).count
    }

    // MARK: API keys

    public func insert(_ key: APIKeyRecord) async throws {
        try state.withLock { state in
            if state.keys.contains(where: { $0.hash == key.hash || $0.id == key.id }) { throw StoreError("duplicate API key") }
            state.keys.append(key)
        }
    }

    public func key(hash: String) async throws -> APIKeyRecord? {
        state.withLock { $0.keys.first { $0.hash == hash && $0.revokedAt == nil } }
    }

    public func keys() async throws -> [APIKeyRecord] {
        Self.stable(state.withLock { $0.keys }, by: \.createdAt)
    }

    public func revoke(id: String, at date: Date) async throws -> Bool {
        state.withLock { state in
            guard let index = state.keys.firstIndex(where: { $0.id == id && $0.revokedAt == nil }) else { return false }
            state.keys[index].revokedAt = date
            return true
        }
    }

    // MARK: Response cache

    public func cachedResponse(key: String, now: Date) async throws -> CachedResponseRecord? {
        state.withLock { $0.cache[key] }.flatMap { $0.expiresAt > now ? $0 : nil }
    }

    public func store(_ entry: CachedResponseRecord) async throws {
        state.withLock { $0.cache[entry.key] = entry }
    }

    public func purgeExpired(now: Date) async throws -> Int {
        state.withLock { state in
            let expired = state.cache.values.filter { $0.expiresAt <= now }.map(\.key)
            for key in expired { state.cache[key] = nil }
            return expired.count
        }
    }

    // MARK: Users and sessions

    public func insert(_ user: UserRecord) async throws {
        try state.withLock { state in
            if state.users.contains(where: { $0.username == user.username || $0.id == user.id }) {
                throw StoreError("a user named \(user.username) already exists")
            }
            state.users.append(user)
        }
    }

    public func user(username: String) async throws -> UserRecord? {
        state.withLock { $0.users.first { $0.username == username } }
    }

    public func user(id: String) async throws -> UserRecord? {
        state.withLock { $0.users.first { $0.id == id } }
    }

    public func startSession(_ session: SessionRecord) async throws {
        try state.withLock { state in
            guard state.users.contains(where: { $0.id == session.userID }) else { throw StoreError("no user \(session.userID) for the session") }
            state.sessions.removeAll { $0.expiresAt <= session.createdAt || $0.userID == session.userID }
            state.sessions.append(session)
        }
    }

    public func session(idHash: String, now: Date) async throws -> SessionRecord? {
        state.withLock { $0.sessions.first { $0.idHash == idHash && $0.expiresAt > now } }
    }

    public func deleteSession(idHash: String) async throws {
        state.withLock { $0.sessions.removeAll { $0.idHash == idHash } }
    }

    public func users() async throws -> [UserRecord] {
        state.withLock { $0.users }.sorted { $0.username < $1.username }
    }

    public func setDisabled(username: String, at date: Date?) async throws -> Bool {
        updateUser(username) { $0.disabledAt = date }
    }

    public func setPasswordHash(username: String, hash: String) async throws -> Bool {
        updateUser(username) { $0.passwordHash = hash }
    }

    /// Changes one user and ends their sessions; false when there is no such user.
    private func updateUser(_ username: String, _ change: (inout UserRecord) -> Void) -> Bool {
        state.withLock { state in
            guard let index = state.users.firstIndex(where: { $0.username == username }) else { return false }
            change(&state.users[index])
            let id = state.users[index].id
            state.sessions.removeAll { $0.userID == id }
            return true
        }
    }

    // MARK: Evals

    public func saveRun(_ run: EvalRunRecord) async throws {
        state.withLock { state in
            if let index = state.runs.firstIndex(where: { $0.id == run.id }) { state.runs[index] = run } else { state.runs.append(run) }
        }
    }

    public func run(id: String) async throws -> EvalRunRecord? {
        state.withLock { $0.runs.first { $0.id == id } }
    }

    public func runs(limit: Int) async throws -> [EvalRunRecord] {
        Array(state.withLock { $0.runs }.sorted { $0.startedAt > $1.startedAt }.prefix(limit))
    }

    public func insertResults(_ results: [EvalResultRecord]) async throws {
        try state.withLock { state in
            for result in results {
                guard state.runs.contains(where: { $0.id == result.runID }) else { throw StoreError("no eval run \(result.runID)") }
                if let index = state.results.firstIndex(where: { $0.runID == result.runID && $0.caseID == result.caseID }) {
                    state.results[index] = result
                } else {
                    state.results.append(result)
                }
            }
        }
    }

    public func results(runID: String) async throws -> [EvalResultRecord] {
        state.withLock { $0.results.filter { $0.runID == runID } }
    }

    public func cachedAnswer(key: String) async throws -> String? {
        state.withLock { $0.answers[key] }
    }

    public func cacheAnswers(_ answers: [(key: String, answer: String)]) async throws {
        state.withLock { state in for (key, answer) in answers { state.answers[key] = answer } }
    }

    // MARK: The workflow

    @discardableResult
    public func commit(_ change: WorkflowChange) async throws -> [AuditEntry] {
        try state.withLock { live in
            // Work on a copy: a step that fails part-way leaves nothing behind, as a rolled-back transaction.
            var state = live
            var application = change.application
            if let expected = change.expectedVersion {
                guard let index = state.applications.firstIndex(where: { $0.id == application.id && $0.version == expected }) else {
                    throw WorkflowConflict(applicationID: application.id)
                }
                let stored = state.applications[index]
                application.version = expected + 1
                application.tokenHash = stored.tokenHash
                application.createdAt = stored.createdAt
                state.applications[index] = application
            } else {
                guard !state.applications.contains(where: { $0.id == application.id || $0.tokenHash == application.tokenHash }) else {
                    throw StoreError("application \(application.id) already exists")
                }
                state.applications.append(application)
            }
            for index in state.documents.indices where change.supersede.contains(state.documents[index].id) {
                state.documents[index].superseded = true
            }
            state.documents += change.documents
            if let extraction = change.extraction { state.extractions.append(extraction) }
            state.adjustments += change.adjustments
            if let check = change.check { state.checks.append(check) }
            if let decision = change.decision {
                guard !decision.reason.isEmpty else { throw StoreError("a decision needs a reason") }
                state.decisions.append(decision)
            }
            state.examples += change.examples
            Self.append(change.jobs, to: &state.jobs)
            if let job = change.completesJob, let index = state.jobs.firstIndex(where: { $0.id == job }) {
                state.jobs[index].status = .done
                state.jobs[index].leaseUntil = nil
                state.jobs[index].updatedAt = change.application.updatedAt
            }
            let written = Self.append(change.audit, at: change.application.updatedAt, to: &state)
            live = state
            return written
        }
    }

    private static func append(_ drafts: [AuditDraft], at date: Date, to state: inout State) -> [AuditEntry] {
        guard !drafts.isEmpty else { return [] }
        let written = AuditEntry.chain(drafts, after: state.head, at: date)
        state.audit += written
        state.head = (written[written.count - 1].seq, written[written.count - 1].hash)
        return written
    }

    public func application(id: String) async throws -> ApplicationRecord? {
        state.withLock { $0.applications.first { $0.id == id } }
    }

    public func application(tokenHash: String) async throws -> ApplicationRecord? {
        state.withLock { $0.applications.first { $0.tokenHash == tokenHash } }
    }

    public func applications(states: [ApplicationState], limit: Int) async throws -> [ApplicationRecord] {
        let rows = state.withLock { $0.applications }.filter { states.isEmpty || states.contains($0.state) }
        return Array(rows.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.prefix(limit))
    }

    public func documents(applicationID: String) async throws -> [DocumentRecord] {
        Self.stable(state.withLock { $0.documents }.filter { $0.applicationID == applicationID }, by: \.uploadedAt)
    }

    public func latestExtraction(applicationID: String) async throws -> ExtractionRecord? {
        Self.stable(state.withLock { $0.extractions }.filter { $0.applicationID == applicationID }, by: \.createdAt).last
    }

    public func adjustments(applicationID: String) async throws -> [AdjustmentRecord] {
        Self.stable(state.withLock { $0.adjustments }.filter { $0.applicationID == applicationID }, by: \.createdAt)
    }

    public func latestCheck(applicationID: String) async throws -> CheckRecord? {
        Self.stable(state.withLock { $0.checks }.filter { $0.applicationID == applicationID }, by: \.createdAt).last
    }

    public func decisions(applicationID: String) async throws -> [DecisionRecord] {
        Self.stable(state.withLock { $0.decisions }.filter { $0.applicationID == applicationID }, by: \.createdAt)
    }

    public func examples(documentType: String?) async throws -> [LabelledExampleRecord] {
        Self.stable(state.withLock { $0.examples }.filter { documentType == nil || $0.documentType == documentType }, by: \.createdAt)
    }

    public func auditEntries(target: String?) async throws -> [AuditEntry] {
        state.withLock { $0.audit }.filter { target == nil || $0.target == target }
    }

    public func auditHead() async throws -> (seq: Int, hash: String)? {
        state.withLock { $0.head }
    }

    public func enqueue(_ jobs: [JobRecord]) async throws {
        try state.withLock { state in
            for job in jobs where state.jobs.contains(where: { $0.id == job.id }) { throw StoreError("duplicate job \(job.id)") }
            Self.append(jobs, to: &state.jobs)
        }
    }

    /// Appends jobs, each with its turn (``JobTurns``).
    private static func append(_ jobs: [JobRecord], to queue: inout [JobRecord]) {
        for var job in jobs {
            let unfinished = queue.filter { $0.status == .queued || $0.status == .running }
            let laneHighest = unfinished.filter { $0.lane == job.lane }.map(\.turn).max()
            let frontier = unfinished.filter { $0.status == .queued && $0.runAfter <= job.createdAt }.map(\.turn).min()
            job.turn = JobTurns.next(laneHighest: laneHighest, frontier: frontier)
            queue.append(job)
        }
    }

    public func jobs(status: JobStatus, kind: JobKind?, limit: Int) async throws -> [JobRecord] {
        Array(state.withLock { $0.jobs }.filter { $0.status == status && (kind == nil || $0.kind == kind) }.reversed().prefix(max(0, limit)))
    }

    public func requeueJob(id: String, now: Date) async throws -> Bool {
        state.withLock { state in
            guard let index = state.jobs.firstIndex(where: { $0.id == id && $0.status == .failed }) else { return false }
            state.jobs[index].status = .queued
            state.jobs[index].attempts = 0
            state.jobs[index].runAfter = now
            state.jobs[index].leaseUntil = nil
            state.jobs[index].leasedBy = nil
            state.jobs[index].updatedAt = now
            return true
        }
    }

    public func claimJobs(kinds: Set<JobKind>?, limit: Int, now: Date, leaseUntil: Date, worker: String) async throws -> [JobRecord] {
        state.withLock { state in
            let due = state.jobs.indices.filter { i in (kinds?.contains(state.jobs[i].kind) ?? true) && state.jobs[i].isClaimable(at: now) }
            let picked = due.sorted { a, b in
                let (x, y) = (state.jobs[a], state.jobs[b])
                return JobTurns.precedes(x, y) || (!JobTurns.precedes(y, x) && a < b)
            }.prefix(max(0, limit))
            return picked.map { index in
                state.jobs[index].status = .running
                state.jobs[index].attempts += 1
                state.jobs[index].leaseUntil = leaseUntil
                state.jobs[index].leasedBy = worker
                state.jobs[index].updatedAt = now
                return state.jobs[index]
            }
        }
    }

    public func failJob(id: String, error: String, retryAt: Date?, now: Date) async throws {
        state.withLock { state in
            guard let index = state.jobs.firstIndex(where: { $0.id == id }) else { return }
            state.jobs[index].status = retryAt == nil ? .failed : .queued
            if let retryAt { state.jobs[index].runAfter = retryAt }
            state.jobs[index].leaseUntil = nil
            state.jobs[index].lastError = error
            state.jobs[index].updatedAt = now
        }
    }

    public func renewLease(id: String, worker: String, until: Date, now: Date) async throws -> Bool {
        state.withLock { state in
            guard let index = state.jobs.firstIndex(where: { $0.id == id && $0.status == .running && $0.leasedBy == worker }) else { return false }
            state.jobs[index].leaseUntil = until
            state.jobs[index].updatedAt = now
            return true
        }
    }

    public func completeJob(id: String, now: Date) async throws {
        state.withLock { state in
            guard let index = state.jobs.firstIndex(where: { $0.id == id }) else { return }
            state.jobs[index].status = .done
            state.jobs[index].leaseUntil = nil
            state.jobs[index].updatedAt = now
        }
    }

    public func jobs(subject: String) async throws -> [JobRecord] {
        Self.stable(state.withLock { $0.jobs }.filter { $0.subject == subject }, by: \.createdAt)
    }
}

/// Blobs in memory, by their SHA-256.
public final class InMemoryBlobStore: BlobStore {
    private let blobs = Mutex<[String: Data]>([:])

    public init() {}

    public func put(_ data: Data, sha256: String) async throws {
        blobs.withLock { if $0[sha256] == nil { $0[sha256] = data } }
    }

    public func get(_ sha256: String) async throws -> Data {
        guard let data = blobs.withLock({ $0[sha256] }) else { throw StoreError("document blob \(sha256) is missing") }
        return data
    }
}

/// Retrieval indexes in memory: a stand-in for the shared database's table (two catalogs on one instance behave as two
/// replicas on one database).
public final class InMemoryRetrievalIndexStore: RetrievalIndexStore {
    private let indexes = Mutex<[String: (data: Data, generation: Int64)]>([:])

    public init() {}

    public func retrievalIndexNames() async throws -> [String] { indexes.withLock { $0.keys.sorted() } }

    public func retrievalIndex(_ name: String) async throws -> (data: Data, generation: Int64)? { indexes.withLock { $0[name] } }

    public func retrievalIndexGeneration(_ name: String) async throws -> Int64? { indexes.withLock { $0[name]?.generation } }

    public func saveRetrievalIndex(_ name: String, data: Data, if expected: RetrievalIndexExpectation) async throws -> Int64? {
        indexes.withLock { indexes in
            switch expected {
            case .any: break
            case .absent: guard indexes[name] == nil else { return nil }
            case .generation(let generation): guard indexes[name]?.generation == generation else { return nil }
            }
            // One counter for every name, as PostgreSQL's sequence: a name dropped and created again never repeats one.
            let generation = Self.generations.withLock { $0 += 1; return $0 }
            indexes[name] = (data, generation)
            return generation
        }
    }

    private static let generations = Mutex<Int64>(0)

    public func deleteRetrievalIndex(_ name: String) async throws -> Bool {
        indexes.withLock { $0.removeValue(forKey: name) != nil }
    }
}
