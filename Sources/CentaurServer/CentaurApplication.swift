import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurExtraction
import CentaurGateway
import CentaurRetrieval
import CentaurReview
import CentaurRules
import CentaurRuntime
import CentaurStore
import CentaurWeb
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// Everything `centaur serve` runs, built from configuration; tests build the same thing.
public struct CentaurServerComponents: Sendable {
    public let configuration: CentaurConfiguration
    public let settings: ServerSettings
    /// The composition root the server shares with the CLI and evals.
    public let runtime: CentaurRuntime
    public let registry: ModelRegistry
    public let router: ModelRouter
    public let gateway: Gateway
    /// Every store, opened once from the data directory.
    public let stores: Stores
    public let writer: TraceWriter
    public let keys: APIKeyService
    /// The metrics served at `/metrics`.
    public let metrics: PrometheusCollectorRegistry
    /// Web sign-in and sessions.
    public let sessions: WebSessions
    /// The web pages (CentaurWeb), served beside the APIs.
    public let pages: WebPages
    /// Budgets per key and team.
    public let budgets: any BudgetStore
    /// The onboarding workflow and its extraction worker.
    public let onboarding: OnboardingService
    public let worker: JobWorker
    /// The retrieval indexes of the data directory (`DATA-DIR/indexes`), for `/api/retrieval/*`.
    public let retrieval: IndexCatalog

    /// Opens the runtime (stores, registry, the one gateway pipeline) under `dataDirectory` and adds what the server
    /// alone runs: API keys, Prometheus metrics, the extraction worker, sign-in and the pages.
    public init(
        configuration: CentaurConfiguration, settings: ServerSettings, dataDirectory: String, httpClient: HTTPClient,
        environment: [String: String] = ProcessInfo.processInfo.environment, evalReport: WebPages.EvalReportRenderer? = nil, logger: Logger
    ) async throws {
        self.configuration = configuration
        self.settings = settings
        metrics = PrometheusCollectorRegistry()
        let ruleSet: RuleSet
        do { ruleSet = try RuleSet.load(settings.rules) } catch { throw StoreError("--rules \(settings.rules): \(error)") }
        runtime = try await CentaurRuntime.open(
            configuration: configuration, dataDirectory: dataDirectory, httpClient: httpClient, environment: environment,
            recorders: [MetricsRecorder(factory: PrometheusMetricsFactory(registry: metrics))], logger: logger)
        registry = runtime.registry
        router = runtime.router
        gateway = runtime.gateway
        stores = runtime.stores
        writer = runtime.writer
        budgets = runtime.budgets
        keys = APIKeyService(store: stores.keys)
        let signal = JobSignal()
        let home = URL(fileURLWithPath: CentaurHome.resolve(environment: environment))
        let fewShot = try Self.fewShot(examples: settings.fewShotExamples, dataDirectory: dataDirectory, home: home, logger: logger)
        var onboarding = try runtime.onboarding(
            ruleSet: ruleSet, extractionModel: settings.extractionModel, fewShot: fewShot,
            examples: { k in try Self.fewShot(examples: k, dataDirectory: dataDirectory, home: home, logger: logger, required: false) }, signal: signal)
        onboarding.lease = settings.jobLease.seconds
        self.onboarding = onboarding
        worker = JobWorker(onboarding: onboarding, signal: signal, pollInterval: settings.workerPollInterval, concurrency: settings.extractionWorkers)
        retrieval = IndexCatalog(library: stores.retrievalLibrary(dataDirectory: dataDirectory), embedderDirectory: MiniLMEncoder.defaultDirectory(home: home))
        sessions = WebSessions(store: stores.users)
        pages = try WebPages(sessions: sessions, onboarding: onboarding, stores: stores, trustedProxies: settings.trustedProxies, evalReport: evalReport,
                             now: onboarding.now)
    }

    /// The selector of few-shot examples: the training split of the newest dataset version of each document type
    /// (`centaur dataset snapshot`), embedded by the native MiniLM; nil when `examples` is 0, or when there are no
    /// labelled documents yet and `required` is false. A newer version is looked for every 10 s and used without a
    /// restart (``DatasetExamples``).
    static func fewShot(examples: Int, dataDirectory: String, home: URL, logger: Logger, required: Bool = true) throws -> (any FewShotSelector)? {
        guard examples > 0 else { return nil }
        let library = DatasetLibrary(directory: URL(fileURLWithPath: dataDirectory).appendingPathComponent("datasets"))
        let (versions, pool) = try DatasetExamples.newest(in: library)
        guard !pool.isEmpty else {
            guard required else { return nil }
            throw StartupProblem(description: "few-shot extraction (\(examples) examples): no dataset version has training documents with text yet "
                + "(centaur dataset snapshot --type T)")
        }
        let directory = MiniLMEncoder.defaultDirectory(home: home)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path) else {
            throw StartupProblem(description: "few-shot extraction needs the embedding model: run scripts/setup-embeddings")
        }
        logger.info("few-shot extraction", metadata: ["examples": "\(pool.count)", "datasets": "\(versions)", "k": "\(examples)"])
        return DatasetExamples(library: library, k: examples, embedder: try MiniLMEncoder(directory: directory), logger: logger)
    }

    /// The Hummingbird router with every endpoint.
    public func makeRouter() -> Hummingbird.Router<CentaurRequestContext> {
        let router = Hummingbird.Router(context: CentaurRequestContext.self)
        router.add(middleware: AccessLogMiddleware(logger: runtime.logger))
        router.add(middleware: SecurityHeadersMiddleware())
        let pages = pages
        router.add(middleware: NotFoundPageMiddleware { path in pages.notFoundPage(path: path) })
        // Route groups: each renders its failures in its clients' shape and states who may call it.
        let optionalKey = APIKeyAuthentication(keys: keys, required: settings.requireKeys)
        let requiredKey = APIKeyAuthentication(keys: keys, required: true)
        let openAI = router.group().add(middleware: ErrorMiddleware(OpenAIChatAPI.self)).add(middleware: optionalKey)
        let anthropic = router.group().add(middleware: ErrorMiddleware(AnthropicMessagesAPI.self)).add(middleware: optionalKey)
        ModelEndpoint<OpenAIChatAPI>(gateway: gateway, maxBodyBytes: settings.maxBodyBytes).register(on: openAI)
        ModelEndpoint<AnthropicMessagesAPI>(gateway: gateway, maxBodyBytes: settings.maxBodyBytes).register(on: anthropic)
        EmbeddingsEndpoint(embeddings: runtime.embeddings, maxBodyBytes: settings.maxBodyBytes).register(on: openAI)
        ModelListEndpoint(configuration: configuration).register(on: openAI)
        let traces = router.group().add(middleware: ErrorMiddleware(OpenAIChatAPI.self)).add(middleware: requiredKey).add(middleware: RequireScope(.admin))
        AdminEndpoints(store: stores.traces, writer: writer, readiness: stores.check).register(open: router, admin: traces)
        MetricsEndpoint(registry: metrics, writer: writer).register(on: router)
        let applicant = router.group().add(middleware: ErrorMiddleware(OnboardingErrors.self))
        let reviewer = router.group().add(middleware: ErrorMiddleware(OnboardingErrors.self)).add(middleware: requiredKey)
            .add(middleware: RequireScope(.reviewer, .admin))
        let admin = router.group().add(middleware: ErrorMiddleware(OnboardingErrors.self)).add(middleware: requiredKey).add(middleware: RequireScope(.admin))
        OnboardingEndpoints(service: onboarding, settings: settings).register(applicant: applicant, reviewer: reviewer, admin: admin)
        let searchers = router.group().add(middleware: ErrorMiddleware(OpenAIChatAPI.self)).add(middleware: requiredKey)
            .add(middleware: RequireScope(.gateway, .admin))
        RetrievalEndpoints(catalog: retrieval, maxBodyBytes: settings.maxBodyBytes, model: runtime.model(surface: "rag"),
                           defaultModel: configuration.defaultModel).register(on: searchers)
        pages.register(on: router)
        return router
    }

    /// The application: the HTTP server plus the trace writer and local model services.
    /// The trace writer is listed first so it stops last and flushes every answered request.
    public func makeApplication(
        logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let localServers = Array(registry.localServers.values)
        let retention: [any Service] = configuration.traceRetentionDays.map {
            [TraceRetention(store: stores.traces, days: $0, now: onboarding.now, logger: logger)]
        } ?? []
        // Jobs queued by other replicas wake this one's workers at once (PostgreSQL); with SQLite the signal suffices.
        let wakeups: [any Service] = stores.jobWakeups.map { [JobWakeups(listen: $0, signal: worker.signal)] } ?? []
        let readTimeout = TimeAmount(settings.requestReadTimeout)
        var application = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestReadTimeoutHandler(timeout: readTimeout)],
                                                idleTimeout: TimeAmount(settings.idleTimeout))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "centaur",
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections, logger: logger)),
            services: runtime.services + [worker] + wakeups + retention,
            onServerRunning: onServerRunning,
            logger: logger)
        application.beforeServerStarts {
            for server in localServers { try await server.waitUntilReady() }
        }
        return application
    }
}

/// A setting the server cannot start with, and what to do about it.
public struct StartupProblem: Error, Sendable, CustomStringConvertible {
    public let description: String
}
