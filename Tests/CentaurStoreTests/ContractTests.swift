import CentaurPostgres
import CentaurSQLite
import CentaurStore
import CentaurTestSupport
import Foundation
import GRDB
import Testing

// One contract per store protocol, run over every implementation (`StoreKind`: SQLite and the in-memory double).
// Dates are whole seconds: SQLite keeps milliseconds.

private func at(_ seconds: Int) -> Date { Date(timeIntervalSince1970: 1_763_000_000 + Double(seconds)) }

struct ResponseCacheStoreContract {
    @Test("an entry is found until it expires; purging removes only expired entries", arguments: StoreKind.allCases)
    func expiry(kind: StoreKind) async throws {
        let store = try kind.make()
        func entry(_ key: String, expires: Int) -> CachedResponseRecord {
            CachedResponseRecord(key: key, tenant: "t", model: "m", response: "{}", originRequestID: "r-\(key)", createdAt: at(0), expiresAt: at(expires), costUSD: 0.5)
        }
        try await store.store(entry("a", expires: 10))
        try await store.store(entry("b", expires: 100))
        #expect(try await store.cachedResponse(key: "a", now: at(5)) == entry("a", expires: 10))
        #expect(try await store.cachedResponse(key: "a", now: at(10)) == nil)
        #expect(try await store.cachedResponse(key: "missing", now: at(0)) == nil)
        try await store.store(entry("a", expires: 20))  // a later answer replaces the entry
        #expect(try await store.cachedResponse(key: "a", now: at(15))?.expiresAt == at(20))
        #expect(try await store.purgeExpired(now: at(50)) == 1)
        #expect(try await store.cachedResponse(key: "b", now: at(50)) != nil)
    }
}

struct UserStoreContract {
    static func user(_ name: String) -> UserRecord {
        UserRecord(id: "usr_\(name)", username: name, passwordHash: "hash-\(name)", role: .reviewer, createdAt: at(0))
    }

    @Test("users are unique by name and listed by name", arguments: StoreKind.allCases)
    func users(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.insert(Self.user("zoe"))
        try await store.insert(Self.user("ana"))
        await #expect(throws: (any Error).self) { try await store.insert(UserRecord(id: "usr_other", username: "ana", passwordHash: "x", role: .admin, createdAt: at(1))) }
        #expect(try await store.users().map(\.username) == ["ana", "zoe"])
        #expect(try await store.user(username: "ana") == Self.user("ana"))
        #expect(try await store.user(id: "usr_zoe")?.username == "zoe")
        #expect(try await store.user(username: "nobody") == nil)
    }

    @Test("signing in again, disabling or a new password ends a user's sessions; sessions expire", arguments: StoreKind.allCases)
    func sessions(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.insert(Self.user("ana"))
        try await store.insert(Self.user("bo"))
        func session(_ id: String, _ user: String, start: Int) -> SessionRecord {
            SessionRecord(idHash: id, userID: "usr_\(user)", csrfToken: "csrf-\(id)", createdAt: at(start), expiresAt: at(start + 100))
        }
        try await store.startSession(session("s1", "ana", start: 0))
        try await store.startSession(session("b1", "bo", start: 0))
        #expect(try await store.session(idHash: "s1", now: at(50)) == session("s1", "ana", start: 0))
        #expect(try await store.session(idHash: "s1", now: at(100)) == nil, "expired")
        try await store.startSession(session("s2", "ana", start: 10))
        #expect(try await store.session(idHash: "s1", now: at(20)) == nil, "a new sign-in ends the earlier session")
        #expect(try await store.session(idHash: "b1", now: at(20)) != nil, "another user's session stays")
        try await store.deleteSession(idHash: "s2")
        #expect(try await store.session(idHash: "s2", now: at(20)) == nil)
        try await store.startSession(session("s3", "ana", start: 20))
        #expect(try await store.setDisabled(username: "ana", at: at(30)))
        #expect(try await store.session(idHash: "s3", now: at(31)) == nil)
        #expect(try await store.user(username: "ana")?.disabledAt == at(30))
        #expect(try await store.setDisabled(username: "ana", at: nil))
        #expect(try await store.user(username: "ana")?.disabledAt == nil)
        #expect(try await store.setDisabled(username: "nobody", at: at(30)) == false)
        #expect(try await store.setPasswordHash(username: "bo", hash: "new"))
        #expect(try await store.session(idHash: "b1", now: at(31)) == nil)
        #expect(try await store.user(username: "bo")?.passwordHash == "new")
        #expect(try await store.setPasswordHash(username: "nobody", hash: "x") == false)
    }
}

struct EvalStoreContract {
    @Test("runs are saved again as they finish; results replace by case and keep their order", arguments: StoreKind.allCases)
    func runsAndResults(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.saveRun(EvalRunRecord(id: "run1", suite: "s", description: "first", startedAt: at(0)))
        try await store.saveRun(EvalRunRecord(id: "run2", suite: "s", description: "second", startedAt: at(10)))
        try await store.saveRun(EvalRunRecord(id: "run1", suite: "s", description: "first", startedAt: at(0), endedAt: at(5), status: .completed, summary: "{}"))
        #expect(try await store.run(id: "run1")?.status == .completed)
        #expect(try await store.runs(limit: 10).map(\.id) == ["run2", "run1"])
        #expect(try await store.runs(limit: 1).map(\.id) == ["run2"])
        func result(_ id: String, _ success: Bool) -> EvalResultRecord {
            EvalResultRecord(runID: "run1", caseID: id, provider: "p", success: success, score: success ? 1 : 0, costUSD: nil, latencyMS: 3, error: nil, detail: "{}")
        }
        try await store.insertResults([result("c2", false), result("c1", true)])
        try await store.insertResults([result("c2", true)])
        #expect(try await store.results(runID: "run1") == [result("c2", true), result("c1", true)])
        #expect(try await store.results(runID: "run2").isEmpty)
        #expect(try await store.cachedAnswer(key: "k") == nil)
        try await store.cacheAnswers([(key: "k", answer: "{\"a\":1}")])
        try await store.cacheAnswers([(key: "k", answer: "{\"a\":2}")])
        #expect(try await store.cachedAnswer(key: "k") == "{\"a\":2}")
    }
}

/// Steps of the workflow written through `commit`, as the onboarding service writes them.
enum Workflow {
    static func application(_ id: String, state: ApplicationState = .created, at seconds: Int = 0) -> ApplicationRecord {
        ApplicationRecord(id: id, state: state, tokenHash: "token-\(id)", marketState: "IL", createdAt: at(seconds), updatedAt: at(seconds))
    }

    static func create(_ store: any WorkflowStore, _ id: String, at seconds: Int = 0, jobs: [JobRecord] = []) async throws {
        var change = WorkflowChange(application: application(id, at: seconds), expectedVersion: nil)
        change.jobs = jobs
        change.audit = [AuditDraft(actor: "applicant", action: "application.created", target: "application:\(id)")]
        try await store.commit(change)
    }

    static func job(_ id: String, application: String, tenant: String = "", runAfter: Int) -> JobRecord {
        JobRecord(id: id, kind: .extraction, subject: application, tenant: tenant, runAfter: at(runAfter), createdAt: at(0), updatedAt: at(0))
    }
}

struct ApplicationStoreContract {
    @Test("a step commits only over the version it read; a stale step is a conflict", arguments: StoreKind.allCases)
    func optimisticConcurrency(kind: StoreKind) async throws {
        let store = try kind.make()
        try await Workflow.create(store, "a1")
        await #expect(throws: (any Error).self, "the same application twice") { try await Workflow.create(store, "a1") }
        var step = WorkflowChange(application: Workflow.application("a1", state: .uploaded, at: 5), expectedVersion: 1)
        step.audit = [AuditDraft(actor: "applicant", action: "document.uploaded", target: "application:a1")]
        let written = try await store.commit(step)
        #expect(written.map(\.seq) == [2])
        let stored = try #require(try await store.application(id: "a1"))
        #expect(stored.state == .uploaded && stored.version == 2 && stored.createdAt == at(0))
        #expect(try await store.application(tokenHash: "token-a1")?.id == "a1")
        await #expect(throws: WorkflowConflict.self) { try await store.commit(step) }
        #expect(try await store.application(id: "a1")?.version == 2)
    }

    @Test("a step that fails part-way writes nothing: no row, no audit entry, no version", arguments: StoreKind.allCases)
    func atomicity(kind: StoreKind) async throws {
        let store = try kind.make()
        try await Workflow.create(store, "a1")
        var step = WorkflowChange(application: Workflow.application("a1", state: .approved, at: 5), expectedVersion: 1)
        step.decision = DecisionRecord(id: "d1", applicationID: "a1", decision: "approve", reason: "", actor: "reviewer:ana", createdAt: at(5))
        step.audit = [AuditDraft(actor: "reviewer:ana", action: "review.decided", target: "application:a1")]
        await #expect(throws: (any Error).self, "a decision without a reason") { try await store.commit(step) }
        #expect(try await store.application(id: "a1")?.version == 1)
        #expect(try await store.application(id: "a1")?.state == .created)
        #expect(try await store.decisions(applicationID: "a1").isEmpty)
        #expect(try await store.auditEntries(target: nil).count == 1)
        #expect(try await store.auditHead()?.seq == 1)
    }

    @Test("documents, extractions, adjustments, checks and decisions read back in order; newer uploads supersede", arguments: StoreKind.allCases)
    func records(kind: StoreKind) async throws {
        let store = try kind.make()
        try await Workflow.create(store, "a1")
        try await Workflow.create(store, "a0", at: -10)
        func document(_ id: String, at seconds: Int) -> DocumentRecord {
            DocumentRecord(id: id, applicationID: "a1", sha256: "sha-\(id)", kind: "i9", name: "\(id).pdf", mediaType: "application/pdf", size: 10, uploadedAt: at(seconds))
        }
        var upload = WorkflowChange(application: Workflow.application("a1", state: .uploaded, at: 1), expectedVersion: 1)
        upload.documents = [document("d1", at: 1), document("d2", at: 1)]
        try await store.commit(upload)
        var replace = WorkflowChange(application: Workflow.application("a1", state: .uploaded, at: 2), expectedVersion: 2)
        replace.documents = [document("d3", at: 2)]
        replace.supersede = ["d1"]
        replace.extraction = ExtractionRecord(id: "e1", applicationID: "a1", createdAt: at(2), documents: "[]", documentIDs: "[\"d2\",\"d3\"]")
        try await store.commit(replace)
        var check = WorkflowChange(application: Workflow.application("a1", state: .inReview, at: 3), expectedVersion: 3)
        check.extraction = ExtractionRecord(id: "e2", applicationID: "a1", createdAt: at(3), documents: "[]", documentIDs: "[]")
        check.adjustments = [AdjustmentRecord(id: "adj1", applicationID: "a1", extractionID: "e2", documentType: "form-i9", field: "ssn", before: "\"1\"",
                                              after: "\"2\"", kind: "applicant", actor: "applicant", reason: nil, highRisk: true, createdAt: at(3))]
        check.check = CheckRecord(id: "c1", applicationID: "a1", extractionID: "e2", ruleSet: "driver-onboarding", ruleSetVersion: 1,
                                  results: "[]", outcome: .inReview, reasons: "[]", createdAt: at(3))
        check.decision = DecisionRecord(id: "dec1", applicationID: "a1", decision: "request_resubmission", reason: "blurred", actor: "reviewer:ana", createdAt: at(3))
        try await store.commit(check)
        let documents = try await store.documents(applicationID: "a1")
        #expect(documents.map(\.id) == ["d1", "d2", "d3"])
        #expect(documents.map(\.superseded) == [true, false, false])
        #expect(try await store.latestExtraction(applicationID: "a1")?.id == "e2")
        #expect(try await store.adjustments(applicationID: "a1").map(\.field) == ["ssn"])
        #expect(try await store.latestCheck(applicationID: "a1")?.outcome == .inReview)
        #expect(try await store.decisions(applicationID: "a1").map(\.reason) == ["blurred"])
        #expect(try await store.applications(states: [], limit: 10).map(\.id) == ["a0", "a1"], "oldest first")
        #expect(try await store.applications(states: [.inReview], limit: 10).map(\.id) == ["a1"])
        #expect(try await store.applications(states: [], limit: 1).map(\.id) == ["a0"])
        #expect(try await store.latestCheck(applicationID: "a0") == nil)
    }
}

struct AuditLogContract {
    @Test("entries are numbered and chained across steps; the log verifies against its head", arguments: StoreKind.allCases)
    func chain(kind: StoreKind) async throws {
        let store = try kind.make()
        #expect(try await store.auditHead() == nil)
        try await Workflow.create(store, "a1")
        try await Workflow.create(store, "a2")
        var step = WorkflowChange(application: Workflow.application("a1", state: .uploaded, at: 1), expectedVersion: 1)
        step.audit = [AuditDraft(actor: "applicant", action: "document.uploaded", target: "application:a1", after: "{\"kind\":\"i9\"}"),
                      AuditDraft(actor: "system", action: "extraction.queued", target: "application:a1")]
        try await store.commit(step)
        let entries = try await store.auditEntries(target: nil)
        #expect(entries.map(\.seq) == [1, 2, 3, 4])
        #expect(entries.first?.previousHash == AuditEntry.genesisHash)
        #expect(zip(entries, entries.dropFirst()).allSatisfy { $1.previousHash == $0.hash })
        #expect(entries.allSatisfy { $0.hash == $0.expectedHash })
        let head = try #require(try await store.auditHead())
        #expect(head.seq == 4 && head.hash == entries.last?.hash)
        #expect(try await store.auditEntries(target: "application:a1").map(\.seq) == [1, 3, 4])
        #expect(try await AuditVerification.verify(store: store).valid)
    }
}

struct LabelledExampleStoreContract {
    @Test("corrections are kept as labelled examples, oldest first, by document type", arguments: StoreKind.allCases)
    func examples(kind: StoreKind) async throws {
        let store = try kind.make()
        try await Workflow.create(store, "a1")
        func example(_ id: String, _ type: String, at seconds: Int) -> LabelledExampleRecord {
            LabelledExampleRecord(id: id, applicationID: "a1", documents: "[]", documentType: type, schemaVersion: 1, field: "first_name",
                                  chosenSource: "model", model: "small", promptVersion: "extract-v1", modelValue: "\"JANE\"", humanValue: "\"JOAN\"",
                                  rightSources: "[]", kind: "reviewer", actor: "reviewer:ana", createdAt: at(seconds))
        }
        var step = WorkflowChange(application: Workflow.application("a1", state: .inReview, at: 1), expectedVersion: 1)
        step.examples = [example("x2", "form-i9", at: 2), example("x1", "us-drivers-license", at: 1), example("x3", "form-i9", at: 3)]
        try await store.commit(step)
        #expect(try await store.examples(documentType: nil).map(\.id) == ["x1", "x2", "x3"])
        #expect(try await store.examples(documentType: "form-i9").map(\.id) == ["x2", "x3"])
        #expect(try await store.examples(documentType: "pay-stub").isEmpty)
    }
}

struct JobQueueContract {
    @Test("due jobs are leased in order; an expired lease is taken over; failures retry or fail; done jobs stay done", arguments: StoreKind.allCases)
    func leases(kind: StoreKind) async throws {
        let store = try kind.make()
        // Two lanes (tenants), so both jobs hold turn 1 and the older runAfter goes first.
        try await Workflow.create(store, "a1", jobs: [Workflow.job("j2", application: "a1", tenant: "t2", runAfter: 20),
                                                      Workflow.job("j1", application: "a1", tenant: "t1", runAfter: 10)])
        #expect(try await store.claimJob(now: at(5), leaseUntil: at(65), worker: "w1") == nil, "nothing is due yet")
        let first = try #require(try await store.claimJob(now: at(30), leaseUntil: at(90), worker: "w1"))
        #expect(first.id == "j1" && first.status == .running && first.attempts == 1 && first.leasedBy == "w1")
        let second = try #require(try await store.claimJob(now: at(30), leaseUntil: at(90), worker: "w2"))
        #expect(second.id == "j2")
        #expect(try await store.claimJob(now: at(31), leaseUntil: at(91), worker: "w3") == nil, "both are leased")
        // w1 died: after its lease, another worker takes the job over, as a second attempt.
        let takenOver = try #require(try await store.claimJob(now: at(91), leaseUntil: at(151), worker: "w3"))
        #expect(takenOver.id == "j1" && takenOver.attempts == 2 && takenOver.leasedBy == "w3")
        try await store.failJob(id: "j1", error: "tesseract timed out", retryAt: at(200), now: at(100))
        #expect(try await store.claimJob(now: at(150), leaseUntil: at(210), worker: "w3")?.id == "j2", "j1 waits for its retry; j2's lease expired")
        try await store.completeJob(id: "j2", now: at(160))
        let retried = try #require(try await store.claimJob(now: at(200), leaseUntil: at(260), worker: "w3"))
        #expect(retried.id == "j1" && retried.attempts == 3 && retried.lastError == "tesseract timed out")
        try await store.failJob(id: "j1", error: "gave up", retryAt: nil, now: at(210))
        #expect(try await store.claimJob(now: at(1_000), leaseUntil: at(1_060), worker: "w3") == nil, "failed and done jobs are never leased")
        let jobs = try await store.jobs(subject: "a1")
        #expect(Set(jobs.map { "\($0.id):\($0.status)" }) == ["j1:failed", "j2:done"])
    }

    @Test("a worker's heartbeat extends only a lease it still holds", arguments: StoreKind.allCases)
    func renewal(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.enqueue([Workflow.job("j1", application: "a1", runAfter: 0)])
        #expect(try await store.claimJob(now: at(10), leaseUntil: at(70), worker: "w1")?.id == "j1")
        #expect(try await store.renewLease(id: "j1", worker: "w2", until: at(200), now: at(60)) == false, "not w2's job")
        #expect(try await store.renewLease(id: "j1", worker: "w1", until: at(200), now: at(60)))
        #expect(try await store.claimJob(now: at(100), leaseUntil: at(160), worker: "w2") == nil, "the renewed lease holds past its first end")
        let takenOver = try #require(try await store.claimJob(now: at(201), leaseUntil: at(300), worker: "w2"))
        #expect(takenOver.leasedBy == "w2")
        #expect(try await store.renewLease(id: "j1", worker: "w1", until: at(400), now: at(202)) == false, "w1 lost it")
        try await store.completeJob(id: "j1", now: at(210))
        #expect(try await store.renewLease(id: "j1", worker: "w2", until: at(400), now: at(211)) == false, "a done job has no lease")
    }

    @Test("jobs enqueued on their own carry any kind, subject and payload; a worker leases only the kinds it asks for", arguments: StoreKind.allCases)
    func kinds(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.enqueue([
            JobRecord(id: "b1", kind: "batch", subject: "batch_1", payload: "{\"items\":3}", runAfter: at(0), createdAt: at(0), updatedAt: at(0)),
            JobRecord(id: "x1", kind: .extraction, subject: "app_9", runAfter: at(1), createdAt: at(0), updatedAt: at(0)),
        ])
        await #expect(throws: (any Error).self, "the same job twice") {
            try await store.enqueue([JobRecord(id: "b1", kind: "batch", subject: "batch_1", runAfter: at(0), createdAt: at(0), updatedAt: at(0))])
        }
        #expect(try await store.claimJob(kinds: [], now: at(10), leaseUntil: at(70), worker: "w") == nil)
        let extraction = try #require(try await store.claimJob(kinds: [.extraction], now: at(10), leaseUntil: at(70), worker: "w"))
        #expect(extraction.id == "x1" && extraction.subject == "app_9" && extraction.payload == "{}")
        let batch = try #require(try await store.claimJob(kinds: nil, now: at(10), leaseUntil: at(70), worker: "w"))
        #expect(batch.kind == "batch" && batch.payload == "{\"items\":3}")
        #expect(try await store.jobs(subject: "batch_1").map(\.id) == ["b1"])
    }

    @Test("claims go round the lanes (kind and tenant): a backlog gets one job in per turn, a newcomer starts at the frontier", arguments: StoreKind.allCases)
    func fairness(kind: StoreKind) async throws {
        let store = try kind.make()
        func job(_ id: String, _ kind: JobKind, tenant: String, at time: Int) -> JobRecord {
            JobRecord(id: id, kind: kind, subject: "s", tenant: tenant, runAfter: at(time), createdAt: at(time), updatedAt: at(time))
        }
        try await store.enqueue((1...6).map { job("a\($0)", .extraction, tenant: "ann", at: 0) })
        try await store.enqueue([job("b1", .extraction, tenant: "bob", at: 1), job("b2", .extraction, tenant: "bob", at: 1)])
        try await store.enqueue([job("o1", "batch", tenant: "ann", at: 2)])  // another kind is another lane
        #expect(try await store.jobs(subject: "s").map(\.turn) == [1, 2, 3, 4, 5, 6, 1, 2, 1], "turns as enqueued")
        let first = try await store.claimJobs(kinds: nil, limit: 3, now: at(10), leaseUntil: at(70), worker: "w1")
        #expect(first.map(\.id) == ["a1", "b1", "o1"], "one from each lane, oldest runAfter first")
        #expect(first.allSatisfy { $0.status == .running && $0.leasedBy == "w1" && $0.attempts == 1 })
        // A newcomer enqueued now starts at the frontier (turn 2), not at turn 1 ahead of everyone's second job.
        try await store.enqueue([job("c1", .extraction, tenant: "cy", at: 11)])
        let rest = try await store.claimJobs(kinds: nil, limit: 10, now: at(20), leaseUntil: at(80), worker: "w2")
        #expect(rest.map(\.id) == ["a2", "b2", "c1", "a3", "a4", "a5", "a6"])
        #expect(try await store.claimJobs(kinds: nil, limit: 10, now: at(30), leaseUntil: at(90), worker: "w3").isEmpty, "all leased")
        // Finished lanes start again from the frontier.
        for claimed in first + rest { try await store.completeJob(id: claimed.id, now: at(40)) }
        try await store.enqueue([job("b3", .extraction, tenant: "bob", at: 50)])
        #expect(try await store.jobs(subject: "s").first { $0.id == "b3" }?.turn == 1, "an empty queue starts at turn 1")
    }

    @Test("dead letters: failed jobs are listed with their last error and can be put back in the queue once", arguments: StoreKind.allCases)
    func deadLetters(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.enqueue(["d1", "d2", "ok"].map { id in
            JobRecord(id: id, kind: id == "d2" ? "batch" : .extraction, subject: "s", runAfter: at(0), createdAt: at(0), updatedAt: at(0))
        })
        for job in try await store.claimJobs(kinds: nil, limit: 3, now: at(1), leaseUntil: at(61), worker: "w") {
            if job.id == "ok" { try await store.completeJob(id: job.id, now: at(2)) } else {
                try await store.failJob(id: job.id, error: "unreadable \(job.id)", retryAt: nil, now: at(2))
            }
        }
        let dead = try await store.jobs(status: .failed, kind: nil, limit: 10)
        #expect(dead.map(\.id) == ["d2", "d1"] && dead.map(\.lastError) == ["unreadable d2", "unreadable d1"], "newest first, with their errors")
        #expect(try await store.jobs(status: .failed, kind: .extraction, limit: 10).map(\.id) == ["d1"])
        #expect(try await store.jobs(status: .failed, kind: nil, limit: 1).count == 1)
        #expect(try await store.requeueJob(id: "d1", now: at(100)))
        #expect(try await store.requeueJob(id: "d1", now: at(100)) == false, "no longer failed")
        #expect(try await store.requeueJob(id: "ok", now: at(100)) == false, "a done job stays done")
        #expect(try await store.requeueJob(id: "nope", now: at(100)) == false)
        let again = try #require(try await store.claimJob(now: at(100), leaseUntil: at(160), worker: "w2"))
        #expect(again.id == "d1" && again.attempts == 1 && again.lastError == "unreadable d1")
        #expect(try await store.jobs(status: .failed, kind: nil, limit: 10).map(\.id) == ["d2"])
    }

    @Test("batched claims never hand one job to two claimers", arguments: StoreKind.allCases)
    func batchedClaimsAreDisjoint(kind: StoreKind) async throws {
        let store = try kind.make()
        try await store.enqueue((0..<60).map { n in
            JobRecord(id: "j\(n)", kind: .extraction, subject: "s", tenant: "t\(n % 7)", runAfter: at(0), createdAt: at(0), updatedAt: at(0))
        })
        let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<6 {
                group.addTask {
                    var mine: [String] = []
                    while case let batch = try await store.claimJobs(kinds: [.extraction], limit: 4, now: at(1), leaseUntil: at(61), worker: "w\(worker)"),
                          !batch.isEmpty {
                        mine += batch.map(\.id)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(claimed.count == 60 && Set(claimed).count == 60, "each of the 60 jobs claimed exactly once")
        #expect(try await store.claimJobs(kinds: nil, limit: 0, now: at(100), leaseUntil: at(160), worker: "w").isEmpty)
    }

    @Test("a step can finish the job that ran it, in the same transaction", arguments: StoreKind.allCases)
    func completedByAStep(kind: StoreKind) async throws {
        let store = try kind.make()
        try await Workflow.create(store, "a1", jobs: [Workflow.job("j1", application: "a1", runAfter: 0)])
        let job = try #require(try await store.claimJob(now: at(1), leaseUntil: at(61), worker: "w1"))
        var step = WorkflowChange(application: Workflow.application("a1", state: .awaitingApplicant, at: 2), expectedVersion: 1)
        step.completesJob = job.id
        try await store.commit(step)
        #expect(try await store.jobs(subject: "a1").map(\.status) == [.done])
        #expect(try await store.claimJob(now: at(100), leaseUntil: at(160), worker: "w2") == nil)
    }
}

/// The blob stores: on disk and in memory.
enum BlobKind: String, CaseIterable, CustomTestStringConvertible {
    case file, memory, postgres
    var testDescription: String { rawValue }

    static var allCases: [BlobKind] { StoreKind.allCases.contains(.postgres) ? [.file, .memory, .postgres] : [.file, .memory] }

    func make() throws -> any BlobStore {
        switch self {
        case .memory: return InMemoryBlobStore()
        case .file: return FileBlobStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("centaur-blobs-\(UUID().uuidString)"))
        case .postgres: return try StoreKind.postgresStore()
        }
    }
}

struct BlobStoreContract {
    @Test("bytes round-trip by their hash, are written once, and a missing blob is a clear error", arguments: BlobKind.allCases)
    func roundTrip(kind: BlobKind) async throws {
        let blobs = try kind.make()
        let sha = "ab" + String(repeating: "1", count: 62)
        try await blobs.put(Data("first".utf8), sha256: sha)
        try await blobs.put(Data("first".utf8), sha256: sha)
        #expect(try await blobs.get(sha) == Data("first".utf8))
        let error = await #expect(throws: StoreError.self) { try await blobs.get("cd" + String(repeating: "2", count: 62)) }
        #expect(error?.description.contains("missing") == true)
    }
}

struct StoresTests {
    @Test("database URLs: sqlite paths and postgres URLs parse; anything else is a clear error; passwords never print")
    func databaseURLs() throws {
        #expect(try DatabaseURL(parsing: "sqlite:/tmp/c.sqlite") == .sqlite(path: "/tmp/c.sqlite"))
        #expect(try DatabaseURL(parsing: "sqlite:///tmp/c.sqlite") == .sqlite(path: "/tmp/c.sqlite"))
        #expect(try DatabaseURL(parsing: "sqlite:data/c.sqlite") == .sqlite(path: "data/c.sqlite"))
        let postgres = try DatabaseURL(parsing: "postgres://centaur:s3cret@127.0.0.1:5432/centaur")
        #expect(postgres == .postgres("postgres://centaur:s3cret@127.0.0.1:5432/centaur"))
        #expect(!postgres.description.contains("s3cret"))
        #expect(throws: StoreError.self) { try DatabaseURL(parsing: "mysql://x") }
        #expect(throws: StoreError.self) { try DatabaseURL(parsing: "sqlite:") }
        #expect(DatabaseURL.default(dataDirectory: "/srv/c") == .sqlite(path: "/srv/c/centaur.sqlite"))
    }

    @Test("the SQLite file refuses an application state or check outcome that is no ApplicationState")
    func stateChecks() async throws {
        let store = try SQLiteStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("centaur-states-\(UUID().uuidString).sqlite").path)
        try await Workflow.create(store, "a1")
        #expect(throws: DatabaseError.self) { try store.pool.write { db in try db.execute(sql: "UPDATE application SET state = 'approvedish' WHERE id = 'a1'") } }
        try await store.pool.write { db in try db.execute(sql: "UPDATE application SET state = 'in_review' WHERE id = 'a1'") }
        #expect(try await store.application(id: "a1")?.state == .inReview, "every ApplicationState is allowed")
        #expect(throws: DatabaseError.self) {
            try store.pool.write { db in
                try db.execute(sql: "INSERT INTO extraction (id, application_id, created_at, documents, document_ids) VALUES ('e1', 'a1', '2026-01-01', '[]', '[]')")
                try db.execute(sql: """
                    INSERT INTO rule_check (id, application_id, extraction_id, rule_set, rule_set_version, results, outcome, reasons, created_at)
                    VALUES ('c1', 'a1', 'e1', 'r', 1, '[]', 'review', '[]', '2026-01-01')
                    """)
            }
        }
    }
}
