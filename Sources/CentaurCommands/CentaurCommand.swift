import ArgumentParser
import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurRuntime
import CentaurStore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The `centaur` command line.
public struct CentaurCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "centaur",
        abstract: "Put language models into products: gateway, guardrails, evals and human review.",
        discussion: """
            With no centaur.yaml, Centaur uses its embedded default: a local Qwen2.5-Coder-0.5B model run by \
            llama.cpp (install it with scripts/setup-local-model). See README.md for a tour.
            """,
        version: CentaurVersion.current,
        subcommands: [ServeCommand.self, ModelsCommand.self, AskCommand.self, ExtractCommand.self, RulesCommand.self, OnboardCommand.self, ReviewCommand.self,
                      AuditCommand.self, DatasetCommand.self, DemoCommand.self, RedactCommand.self, EvalCommand.self, UsersCommand.self, KeysCommand.self,
                      IndexCommand.self, RagCommand.self, MatchCommand.self, CacheCommand.self, ExperimentsCommand.self, FlywheelCommand.self, PromptsCommand.self,
                      JobsCommand.self, MigrateCommand.self, VersionCommand.self]
    )

    public init() {}
}

/// Options every command that reads configuration or state takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (default: ./centaur.yaml, else the embedded default).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp(
        "Directory for Centaur's data (default: $CENTAUR_DATA_DIR, else data/ in Centaur's home: $CENTAUR_HOME, else ./.centaur, else ~/.local/share/centaur).",
        valueName: "dir"))
    var dataDir: String?

    /// `--data-dir`, else `$CENTAUR_DATA_DIR`, else `data` in ``CentaurHome``: every command, run from anywhere,
    /// finds the same state.
    var dataDirectory: String {
        if let dataDir { return dataDir }
        if let fromEnvironment = ProcessInfo.processInfo.environment["CENTAUR_DATA_DIR"], !fromEnvironment.isEmpty { return fromEnvironment }
        return CentaurHome.resolve() + "/data"
    }

    @Option(name: .long, help: ArgumentHelp(
        "Where the records live: sqlite:PATH or postgres://USER@HOST:PORT/DB (default: $CENTAUR_DATABASE_URL, else centaur.yaml's database:, else centaur.sqlite in the data directory).",
        valueName: "url"))
    var database: String?

    /// The process environment, with `--database` as `CENTAUR_DATABASE_URL` (which every store opening reads) and the
    /// data directory as `CENTAUR_DATA_DIR` (where eval providers find indexes).
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let database { environment["CENTAUR_DATABASE_URL"] = database }
        environment["CENTAUR_DATA_DIR"] = dataDirectory
        return environment
    }

    /// Every store: `--database`, else `$CENTAUR_DATABASE_URL`, else the configuration's `database:`, else
    /// `centaur.sqlite` in ``dataDirectory``; documents under `blobs/` there.
    func stores() throws -> Stores {
        try Stores.open(try databaseURL(), dataDirectory: dataDirectory)
    }

    /// The database ``stores()`` opens.
    func databaseURL() throws -> DatabaseURL {
        let configured = environment["CENTAUR_DATABASE_URL"] == nil ? try ConfigurationLoader().load(path: config).database : nil
        return try DatabaseURL.configured(environment: environment, configured: configured, dataDirectory: dataDirectory)
    }

    @Flag(name: .shortAndLong, help: "Log progress to stderr.")
    var verbose = false

    func bootstrapLogging() -> Logger {
        let level: Logger.Level = verbose ? .info : .warning
        LoggingBootstrap.once(level: level)
        var logger = Logger(label: "centaur")
        logger.logLevel = level
        return logger
    }
}

/// Logging goes to stderr so stdout carries only answers.
enum LoggingBootstrap {
    private static let done = Mutex(false)

    static func once(level: Logger.Level) {
        // Bootstrapped under the lock: a second caller waits until the first has finished.
        done.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the database's schema up to this version of Centaur.",
        discussion: """
            Safe to run from several machines at once: PostgreSQL applies each migration once under an advisory lock \
            (SQLite under a lock file). `centaur serve` does the same when it starts; run this first to see a failure \
            before a deployment. Exits 1 when the database cannot be reached or was migrated by a newer Centaur.
            """)

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        do {
            let url = try options.databaseURL()
            try await Stores.open(url, dataDirectory: options.dataDirectory).check()
            print("\(url): schema current")
        } catch {
            throw Self.fail(error)
        }
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Centaur's version.")

    func run() {
        print("centaur \(CentaurVersion.current)")
    }
}

/// Prints a failure as one sentence on stderr and exits non-zero.
struct CLIFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension ParsableCommand {
    static func fail(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        return ExitCode(1)
    }
}

extension HTTPClient.Configuration {
    /// Upstream calls: 10 s to connect, 300 s between bytes, and up to 64 kept-alive connections per provider host
    /// (AsyncHTTPClient's default of 8 queues a busy gateway's requests behind each other).
    static var centaur: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: .seconds(300)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        return configuration
    }
}

/// Runs `body` with an HTTP client that is shut down afterwards, whatever happens.
func withHTTPClient<T: Sendable>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .centaur)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

extension CentaurCommand {
    /// Prepares the concurrency runtime before any task runs; call it first thing, from the main thread.
    ///
    /// For `centaur serve`, SwiftNIO's event loops become Swift concurrency's global executor, so a request's
    /// handler, its upstream call and its answer run on the thread whose event loop reads the socket, instead of
    /// hopping between NIO's threads and the cooperative pool for every await (each hop is a thread wake-up:
    /// most of the gateway's added latency). `CENTAUR_EXECUTOR=swift` keeps Swift's own pool.
    public static func prepareRuntime(arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                                      environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard arguments.first == "serve", environment["CENTAUR_EXECUTOR"] != "swift" else { return }
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// The process entry point: parses the arguments and runs the chosen command.
    public static func runMain(arguments: [String]? = nil) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
