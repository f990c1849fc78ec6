import ArgumentParser
import AsyncHTTPClient
import CentaurConfiguration
import CentaurEvals
import CentaurGateway
import CentaurServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway and the onboarding API: model endpoints, traces, usage, applications and review.",
        discussion: """
            Endpoints: POST /v1/chat/completions, POST /v1/messages, GET /v1/models, GET /healthz, \
            GET /api/traces, GET /api/traces/{id}, GET /api/usage, and the onboarding API \
            (/api/applications…, /api/review/…, /api/admin/…; see docs/openapi.yaml). Model requests need an \
            API key (centaur keys create); /api/review/* needs the reviewer or admin scope, other /api/* the \
            admin scope; applicants use their application's token. Uploaded documents are extracted by a \
            background worker from a durable job queue. SIGTERM or SIGINT stops the server gracefully: \
            requests in flight and the current extractions finish and every trace is written before exit.
            """)

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Address to listen on.", valueName: "host"))
    var host: String = "127.0.0.1"

    @Option(name: .shortAndLong, help: ArgumentHelp("Port to listen on (0 picks a free one).", valueName: "port"))
    var port: Int = 8080

    @Option(name: .long, help: ArgumentHelp("Largest request body accepted, in megabytes.", valueName: "mb"))
    var maxBodyMB: Int = 32

    @Option(name: .long, help: ArgumentHelp(
        "Model that reads uploaded documents when no barcode or form field gives their values (default: the configuration's default_model; 'none' never asks a model).",
        valueName: "name"))
    var extractionModel: String?

    @Option(name: .long, help: ArgumentHelp(
        "Show the extraction model this many labelled documents (the nearest, from the newest dataset version of each type, "
            + "looked for every 10 s) before each document; 0: none.",
        valueName: "k"))
    var fewShot = 0

    @Option(name: .long, help: ArgumentHelp("Rule set applications are checked against: a built-in name (driver-onboarding, mortgage) or a YAML file.", valueName: "name-or-file"))
    var rules: String = "driver-onboarding"

    @Option(name: .long, help: ArgumentHelp(
        "A reverse proxy's address whose X-Forwarded-For header is trusted for sign-in limits (repeatable; default: none, the connection's own address counts).",
        valueName: "address"))
    var trustedProxy: [String] = []

    @Option(name: .long, help: ArgumentHelp("Uploaded documents read at once (each by its own extraction lane).", valueName: "n"))
    var extractionWorkers: Int = 2

    @Option(name: .long, help: ArgumentHelp(
        "Seconds a replica holds a background job before another may take it over; a running job renews it every third of it, so this is how soon a dead replica's jobs run again.",
        valueName: "seconds"))
    var jobLease: Int = 120

    @Option(name: .long, help: ArgumentHelp("Applications one client address may create in 15 minutes.", valueName: "n"))
    var applicationsPerAddress: Int = 30

    @Option(name: .long, help: ArgumentHelp("Connections open at once; more wait to be accepted.", valueName: "n"))
    var maxConnections: Int = 512

    @Option(name: .long, help: ArgumentHelp("Seconds a request may take to arrive whole (head and body) before its connection is closed.", valueName: "seconds"))
    var requestTimeout: Int = 120

    @Flag(name: .long, help: "Accept model requests without an API key (local development only; /api/* still needs an admin key).")
    var noAuth = false

    func run() async throws {
        var mutableLogger = options.bootstrapLogging()
        mutableLogger.logLevel = options.verbose ? .debug : .info
        let logger = mutableLogger
        let configuration: CentaurConfiguration
        do {
            configuration = try ConfigurationLoader().load(path: options.config)
        } catch {
            throw Self.fail(error)
        }
        if noAuth { logger.warning("API keys are not required for model endpoints (--no-auth)") }
        let model = extractionModel ?? configuration.defaultModel
        var settings = ServerSettings(host: host, port: port, maxBodyBytes: maxBodyMB << 20, requireKeys: !noAuth,
                                      extractionModel: model == "none" ? nil : model, rules: rules)
        settings.trustedProxies = Set(trustedProxy)
        guard fewShot >= 0 else { throw ValidationError("--few-shot is 0 (none) or more") }
        settings.fewShotExamples = fewShot
        guard maxConnections >= 1, requestTimeout >= 1 else { throw ValidationError("--max-connections and --request-timeout must be at least 1") }
        guard extractionWorkers >= 1, applicationsPerAddress >= 1 else { throw ValidationError("--extraction-workers and --applications-per-address must be at least 1") }
        settings.extractionWorkers = extractionWorkers
        guard jobLease >= 3 else { throw ValidationError("--job-lease must be at least 3 seconds (a running job renews it every third)") }
        settings.jobLease = .seconds(jobLease)
        settings.applicationsPerAddress = applicationsPerAddress
        settings.maxConnections = maxConnections
        settings.requestReadTimeout = .seconds(requestTimeout)
        try await withHTTPClient { client in
            let components: CentaurServerComponents
            do {
                components = try await CentaurServerComponents(
                    configuration: configuration, settings: settings, dataDirectory: options.dataDirectory, httpClient: client,
                    environment: options.environment,
                    evalReport: { run, results in HTMLReport.render(stored: run, results: results) }, logger: logger)
                for server in components.registry.localServers.values { try server.checkInstalled() }
            } catch {
                throw Self.fail(error)
            }
            let application = components.makeApplication(logger: logger) { channel in
                let address = channel.localAddress.map { "\($0.ipAddress ?? host):\($0.port ?? port)" } ?? "\(host):\(port)"
                logger.info("centaur serving on http://\(address) with \(configuration.models.count) models from \(configuration.source)")
                // A line on stdout that scripts and tests can wait for.
                FileHandle.standardOutput.write(Data("centaur listening on http://\(address)\n".utf8))
            }
            try await application.runService()
        }
    }
}
