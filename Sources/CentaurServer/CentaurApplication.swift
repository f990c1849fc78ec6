import AsyncHTTPClient
import CentaurCore
import CentaurExtraction
import CentaurGateway
import CentaurReview
import CentaurStore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Mustache
import NIOCore
import Prometheus
import ServiceLifecycle

/// Everything `centaur serve` runs, built from configuration; tests build the same thing.
public struct CentaurServerComponents: Sendable {
    public let configuration: CentaurConfiguration
    public let settings: ServerSettings
    public let registry: ModelRegistry
    public let router: CentaurGateway.Router
    public let gateway: Gateway
    public let store: SQLiteStore
    public let writer: TraceWriter
    public let keys: APIKeyService
    /// The metrics served at `/metrics`.
    public let metrics: PrometheusCollectorRegistry
    /// Web sign-in and sessions; the page templates.
    public let sessions: WebSessions
    let templates: Mustache.MustacheLibrary
    /// The pages' Content-Security-Policy (the hashes of the templates' scripts).
    let contentSecurityPolicy: String
    /// Budgets per key and team.
    public let ledger: BudgetLedger
    /// The onboarding workflow and its extraction worker.
    public let onboarding: OnboardingService
    public let worker: ExtractionWorker

    /// Opens the store under `dataDirectory` and builds the gateway over the configured models.
    public init(
        configuration: CentaurConfiguration, settings: ServerSettings, dataDirectory: String, httpClient: HTTPClient,
        environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
    ) throws {
        self.configuration = configuration
        self.settings = settings
        registry = ModelRegistry(configuration: configuration, httpClient: httpClient, environment: environment, logger: logger)
        router = CentaurGateway.Router(registry: registry, routes: configuration.routes, policy: configuration.routing)
        store = try SQLiteStore(path: "\(dataDirectory)/centaur.sqlite")
        writer = TraceWriter(store: store, logger: logger)
        keys = APIKeyService(store: store)
        metrics = PrometheusCollectorRegistry()
        let recorder = CompositeRecorder([
            TraceRecorder(writer: writer, capture: configuration.capture),
            MetricsRecorder(factory: PrometheusMetricsFactory(registry: metrics)),
        ])
        // Recording sees the client's request and answer; the data policy redacts between it and the router.
        let dataPolicy = DataPolicy(configuration: configuration)
        // Budgets start from this month's spend in the traces.
        var spent: [String: Double] = [:]
        for row in try store.spendNow(since: BudgetLedger.monthStart(of: Date())) {
            if let key = row.keyID { spent["key:\(key)", default: 0] += row.costUSD }
            if let team = row.team { spent["team:\(team)", default: 0] += row.costUSD }
        }
        ledger = BudgetLedger(spent: spent)
        // Order: record → budgets → guards (on what the client sent and will see) → data policy → cache → router.
        var middleware: [any GatewayMiddleware] = [
            RecordingMiddleware(recorder: recorder), BudgetMiddleware(ledger: ledger, teams: configuration.teamLimits),
            GuardrailMiddleware(settings: configuration.guardrails),
        ]
        if dataPolicy.restrictsAny { middleware.append(DataPolicyMiddleware(policy: dataPolicy)) }
        // The cache sees the redacted request, so cached answers hold placeholders, never personal data.
        if configuration.cache.enabled {
            middleware.append(CacheMiddleware(cache: ResponseCache(store: store, ttl: configuration.cache.ttlSeconds, capacity: configuration.cache.capacity)))
        }
        gateway = Gateway(middleware: middleware, terminal: router.handle, terminalResponder: router.respond)
        let ruleSet: RuleSet
        do { ruleSet = try RuleSet.load(settings.rules) } catch { throw StoreError("--rules \(settings.rules): \(error)") }
        var pipeline = DocumentPipeline(modelUse: .never, logger: logger)
        if let name = settings.extractionModel {
            let resolved = try registry.resolve(name)
            pipeline.model = ModelExtractor(model: resolved.model, modelName: name, prices: registry.prices, readsImages: resolved.readsImages)
            pipeline.modelUse = .whenNeeded
        }
        let signal = JobSignal()
        onboarding = OnboardingService(
            store: store, blobs: BlobStore(root: URL(fileURLWithPath: dataDirectory).appendingPathComponent("blobs")), ruleSet: ruleSet,
            pipeline: pipeline, signal: signal, logger: logger)
        worker = ExtractionWorker(service: onboarding, signal: signal, pollInterval: settings.workerPollInterval, concurrency: settings.extractionWorkers)
        sessions = WebSessions(store: store)
        (templates, contentSecurityPolicy) = try WebPages.loadTemplates()
    }

    /// The Hummingbird router with every endpoint.
    public func makeRouter() -> Hummingbird.Router<CentaurRequestContext> {
        let router = Hummingbird.Router(context: CentaurRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        let pages = WebPages(sessions: sessions, onboarding: onboarding, store: store, templates: templates, contentSecurityPolicy: contentSecurityPolicy,
                             trustedProxies: settings.trustedProxies)
        router.add(middleware: NotFoundPageMiddleware { path in
            pages.page("message", ["title": "Not found", "heading": "Nothing here",
                                   "text": "There is no page at \(path). Start from the front page, sign in to review applications, or, if you are an applicant, open the link you were sent again.",
                                   "home": true], status: .notFound)
        })
        router.add(middleware: AuthMiddleware(keys: keys, requireKeys: settings.requireKeys))
        ModelEndpoints(gateway: gateway, settings: settings, configuration: configuration).register(on: router)
        AdminEndpoints(store: store, writer: writer).register(on: router)
        MetricsEndpoint(registry: metrics, writer: writer).register(on: router)
        OnboardingEndpoints(service: onboarding, settings: settings).register(on: router)
        pages.register(on: router)
        return router
    }

    /// The application: the HTTP server plus the trace writer and local model services.
    /// The trace writer is listed first so it stops last and flushes every answered request.
    public func makeApplication(
        logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let localServers = Array(registry.localServers.values)
        let readTimeout = TimeAmount(settings.requestReadTimeout)
        var application = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestReadTimeoutHandler(timeout: readTimeout)],
                                                idleTimeout: TimeAmount(settings.idleTimeout))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "centaur",
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections, logger: logger)),
            services: [writer] + registry.services + [worker],
            onServerRunning: onServerRunning,
            logger: logger)
        application.beforeServerStarts {
            for server in localServers { try await server.waitUntilReady() }
        }
        return application
    }
}
