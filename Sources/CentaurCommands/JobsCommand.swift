import ArgumentParser
import CentaurStore
import Foundation

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "See the background job queue and put dead letters (failed jobs) back in it.",
        discussion: """
            A job that failed permanently, or on its last attempt, stays in the queue as a dead letter with its last \
            error. Fix the cause, then retry it: it is queued again, due now, with its attempts counted from zero.

            Examples:
              centaur jobs list                      # the dead letters
              centaur jobs list --status queued --kind extract
              centaur jobs retry job_4fQ2… job_9aX1…
            """,
        subcommands: [List.self, Retry.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs in one status, most recently queued first (default: the failed ones).")
        @OptionGroup var options: GlobalOptions
        @Option(name: .long, help: ArgumentHelp("queued, running, done or failed.", valueName: "status")) var status: String = "failed"
        @Option(name: .long, help: ArgumentHelp("Only jobs of this kind (extract, …).", valueName: "kind")) var kind: String?
        @Option(name: .long, help: ArgumentHelp("At most this many.", valueName: "n")) var limit: Int = 50
        @Flag(name: .long, help: "Print the jobs as JSON.") var json = false

        func run() async throws {
            guard let wanted = JobStatus(rawValue: status) else {
                throw ValidationError("--status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", ")) (got \"\(status)\")")
            }
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
            let jobs: [JobRecord]
            do {
                jobs = try await options.stores().jobs.jobs(status: wanted, kind: kind.map(JobKind.init(rawValue:)), limit: limit)
            } catch { throw Self.fail(error) }
            if json { return try printJSON(jobs) }
            if jobs.isEmpty { return print("no \(wanted.rawValue) jobs") }
            let formatter = ISO8601DateFormatter()
            for job in jobs {
                var line = "\(job.id)  \(job.kind)  \(job.subject)  attempts \(job.attempts)/\(job.maxAttempts)  updated \(formatter.string(from: job.updatedAt))"
                if let error = job.lastError { line += "  last error: \(error.prefix(200))" }
                print(line)
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue failed jobs again, due now; exits 1 if any id is not a failed job.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: ArgumentHelp("Ids of failed jobs (from `centaur jobs list`).", valueName: "job-id")) var ids: [String]

        func run() async throws {
            guard !ids.isEmpty else { throw ValidationError("name at least one job id (centaur jobs list shows the failed ones)") }
            var missing: [String] = []
            do {
                let queue = try options.stores().jobs
                for id in ids {
                    if try await queue.requeueJob(id: id, now: Date()) { print("queued again: \(id)") } else { missing.append(id) }
                }
            } catch { throw Self.fail(error) }
            if !missing.isEmpty {
                FileHandle.standardError.write(Data("not a failed job: \(missing.joined(separator: ", "))\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
