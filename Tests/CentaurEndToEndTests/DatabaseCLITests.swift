import CentaurCore
import CentaurSQLite
import CentaurStore
import CentaurTestSupport
import Foundation
import Testing

/// `--database`, `CENTAUR_DATABASE_URL` and `centaur migrate` through the built binary.
@Suite("centaur migrate and --database")
struct DatabaseCLITests {
    @Test("migrate brings a SQLite database up to date and says so; a database that cannot be reached is a clear failure")
    func migrate() async throws {
        let directory = temporaryDirectory("centaur-migrate")
        let sqlite = "sqlite:" + directory.appendingPathComponent("elsewhere.sqlite").path
        let done = try await CLI.run(["migrate", "--database", sqlite, "--data-dir", directory.path])
        #expect(done.status == 0 && done.stdout == "\(sqlite): schema current\n", "\(done.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("elsewhere.sqlite").path))
        let down = try await CLI.run(["migrate", "--data-dir", directory.path],
                                     environment: ["CENTAUR_DATABASE_URL": "postgres://centaur:secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2"])
        #expect(down.status == 1 && down.stderr.contains("PostgreSQL") && !down.stderr.contains("secret"), "\(down.stderr)")
        let wrong = try await CLI.run(["keys", "list", "--database", "mysql://x", "--data-dir", directory.path])
        #expect(wrong.status != 0 && wrong.stderr.contains("sqlite:PATH or postgres://"), "\(wrong.stderr)")
    }

    @Test("jobs list shows the dead letters with their errors; jobs retry queues them again and refuses any other id")
    func deadLetters() async throws {
        let directory = temporaryDirectory("centaur-jobs")
        let store = try SQLiteStore(path: directory.appendingPathComponent("centaur.sqlite").path)
        let now = Date()
        try await store.enqueue([JobRecord(id: "job_dead", kind: .extraction, subject: "app_1", runAfter: now, createdAt: now, updatedAt: now)])
        _ = try await store.claimJob(now: now, leaseUntil: now.addingTimeInterval(60), worker: "w")
        try await store.failJob(id: "job_dead", error: "the document is not a licence", retryAt: nil, now: now)
        let listed = try await CLI.run(["jobs", "list", "--data-dir", directory.path])
        #expect(listed.status == 0 && listed.stdout.contains("job_dead") && listed.stdout.contains("the document is not a licence"), "\(listed.stderr)")
        let none = try await CLI.run(["jobs", "list", "--status", "queued", "--data-dir", directory.path])
        #expect(none.status == 0 && none.stdout == "no queued jobs\n")
        let bad = try await CLI.run(["jobs", "list", "--status", "lost", "--data-dir", directory.path])
        #expect(bad.status != 0 && bad.stderr.contains("queued, running, done, failed"), "\(bad.stderr)")
        let retried = try await CLI.run(["jobs", "retry", "job_dead", "job_nope", "--data-dir", directory.path])
        #expect(retried.status == 1 && retried.stdout.contains("queued again: job_dead") && retried.stderr.contains("not a failed job: job_nope"))
        #expect(try await store.jobs(subject: "app_1").map(\.status) == [.queued])
    }

    @Test("two processes share keys through PostgreSQL: one creates, another lists and revokes",
          .enabled(if: ProcessInfo.processInfo.environment["CENTAUR_TEST_POSTGRES_URL"] != nil, "needs CENTAUR_TEST_POSTGRES_URL"))
    func sharedKeys() async throws {
        let server = try #require(ProcessInfo.processInfo.environment["CENTAUR_TEST_POSTGRES_URL"])
        let admin = try await CLI.run(["migrate", "--database", server])
        #expect(admin.status == 0, "\(admin.stderr)")
        let url = try await Self.freshDatabase("cli_")  // so other tests' keys are not listed
        let first = temporaryDirectory("centaur-replica-a"), second = temporaryDirectory("centaur-replica-b")
        let created = try await CLI.run(["keys", "create", "--name", "shared", "--data-dir", first.path], environment: ["CENTAUR_DATABASE_URL": url])
        #expect(created.status == 0 && created.stdout.hasPrefix("ctr_"), "\(created.stderr)")
        let listed = try await CLI.run(["keys", "list", "--database", url, "--data-dir", second.path])
        #expect(listed.status == 0 && listed.stdout.contains("shared"), "\(listed.stdout) \(listed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: second.appendingPathComponent("centaur.sqlite").path), "no SQLite file beside it")
    }

    @Test("an index created on one machine is listed, searched, added to, evaluated and dropped from another through PostgreSQL; no files",
          .enabled(if: ProcessInfo.processInfo.environment["CENTAUR_TEST_POSTGRES_URL"] != nil, "needs CENTAUR_TEST_POSTGRES_URL"))
    func sharedIndex() async throws {
        let url = try await Self.freshDatabase("idx_")
        let first = temporaryDirectory("centaur-replica-a"), second = temporaryDirectory("centaur-replica-b")
        let papers = Repository.root.appendingPathComponent("examples/retrieval/papers.jsonl").path
        let created = try await CLI.run(["index", "create", "papers", "--input", papers, "--metadata-fields", "year,venue", "--database", url,
                                         "--data-dir", first.path])
        #expect(created.status == 0 && created.stdout.hasPrefix("created index papers"), "\(created.stderr)")
        let listed = try await CLI.run(["index", "list", "--database", url, "--data-dir", second.path])
        #expect(listed.status == 0 && listed.stdout == "papers\n", "\(listed.stdout) \(listed.stderr)")
        let found = try await CLI.run(["index", "search", "papers", "--query", "vitamin D bone", "--top", "3", "--format", "json", "--database", url,
                                       "--data-dir", second.path])
        #expect(found.status == 0 && found.stdout.contains("\"id\""), "\(found.stderr)")
        let extra = first.appendingPathComponent("extra.jsonl")
        try Data(#"{"_id": "zz-1", "title": "Quokka sightings", "text": "quokka populations on Rottnest Island", "year": 2024}"#.utf8).write(to: extra)
        let added = try await CLI.run(["index", "add", "papers", "--input", extra.path, "--database", url, "--data-dir", first.path])
        #expect(added.status == 0, "\(added.stderr)")
        let quokka = try await CLI.run(["index", "search", "papers", "--query", "quokka", "--format", "json", "--database", url, "--data-dir", second.path])
        #expect(quokka.stdout.contains("zz-1"), "the other machine sees the addition: \(quokka.stdout) \(quokka.stderr)")
        let stats = try await CLI.run(["index", "stats", "papers", "--database", url, "--data-dir", second.path])
        #expect(stats.status == 0 && stats.stdout.contains("the shared database"), "\(stats.stdout) \(stats.stderr)")
        // The eval provider centaur:retrieval:papers reads the same index from the database.
        let suite = Repository.root.appendingPathComponent("examples/evals/retrieval-papers.yaml").path
        let judged = try await CLI.run(["eval", "run", suite, "--quiet", "--no-cache", "--database", url, "--data-dir", second.path])
        #expect(judged.status == 0 && judged.stdout.contains("100.0%"), "\(judged.stdout) \(judged.stderr)")
        let dropped = try await CLI.run(["index", "drop", "papers", "--database", url, "--data-dir", second.path])
        #expect(dropped.status == 0, "\(dropped.stderr)")
        let gone = try await CLI.run(["index", "search", "papers", "--query", "quokka", "--database", url, "--data-dir", first.path])
        #expect(gone.status != 0 && gone.stderr.contains("no index named papers"), "\(gone.stderr)")
        for directory in [first, second] {
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("indexes").path), "no index files in \(directory.path)")
        }
    }

    @Test("an application submitted on one machine is in review, with its documents and a whole audit log, on another",
          .enabled(if: ProcessInfo.processInfo.environment["CENTAUR_TEST_POSTGRES_URL"] != nil, "needs CENTAUR_TEST_POSTGRES_URL"), Samples.needed)
    func sharedWorkflow() async throws {
        let url = try await Self.freshDatabase("flow_")
        let first = temporaryDirectory("centaur-replica-a"), second = temporaryDirectory("centaur-replica-b")
        func sample(_ file: String) -> String { Samples.url("person-01", file).path }
        let submitted = try await CLI.run(["onboard", "submit", "--license-front", sample("license-front.png"), "--license-back", sample("license-back.png"),
                                           "--i9", sample("i9.pdf"), "--market-state", "IL", "--set", "us-drivers-license.first_name=ROBIN", "--json",
                                           "--database", url, "--data-dir", first.path])
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let id = try #require(try submitted.json()["id"]?.stringValue)
        let queue = try await CLI.run(["review", "queue", "--json", "--database", url, "--data-dir", second.path])
        #expect(queue.status == 0 && queue.stdout.contains(id), "\(queue.stderr)")
        let shown = try await CLI.run(["review", "show", id, "--json", "--database", url, "--data-dir", second.path])
        #expect(shown.status == 0 && shown.stdout.contains("license-back.png"), "the documents' records are shared: \(shown.stderr)")
        let verified = try await CLI.run(["audit", "verify", "--json", "--database", url, "--data-dir", second.path])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
        #expect(try verified.json()["valid"] == true && (try verified.json()["entries"]?.intValue ?? 0) >= 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: first.path).allSatisfy { !$0.hasPrefix("blobs") && !$0.hasSuffix(".sqlite") },
                "documents and records went to PostgreSQL, not to the data directory")
    }

    /// A database of its own on the test server (named `PREFIX` + a UUID), so other tests' rows are not seen; its URL.
    static func freshDatabase(_ prefix: String) async throws -> String {
        let server = try #require(ProcessInfo.processInfo.environment["CENTAUR_TEST_POSTGRES_URL"])
        let name = prefix + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await psql(server, "CREATE DATABASE \(name)")
        return server.replacingOccurrences(of: "/postgres?", with: "/\(name)?")
    }

    static func psql(_ url: String, _ sql: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-Atqc", sql]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "psql \(sql)")
    }
}
