import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurExtraction
import CentaurGateway
import CentaurReview
import CentaurRules
import CentaurSQLite
import CentaurStore
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// The composition root: everything Centaur runs, opened once from configuration and a data directory, for the
/// server, the CLI and evals alike. It opens the stores, builds the model registry and the one gateway pipeline
/// (``GatewayPipeline``), and hands out what callers need: the pipeline as a model for a surface, the onboarding
/// service whose extraction calls go through it, and the long-running services.
///
/// ```swift
/// let runtime = try await CentaurRuntime.open(configuration: configuration, dataDirectory: dir, httpClient: client, logger: logger)
/// let answer = try await runtime.withServices(for: ["small"]) {
///     try await runtime.model(surface: "cli").respond(to: request)   // traced, costed, budgeted, guarded
/// }
/// ```
public struct CentaurRuntime: Sendable {
    public let configuration: CentaurConfiguration
    public let dataDirectory: String
    public let stores: Stores
    public let registry: ModelRegistry
    public let router: ModelRouter
    /// Writes every call's trace off the hot path; run it (``services``) and it flushes on shutdown.
    public let writer: TraceWriter
    /// Budgets per key and team: the database's when it is shared (PostgreSQL), else kept in this process from this
    /// month's spend in the traces.
    public let budgets: any BudgetStore
    /// The one pipeline every model call goes through.
    public let gateway: Gateway
    /// Embedding calls, made with the same recorder, budgets and data policy as the pipeline's.
    public let embeddings: EmbeddingGateway
    public let logger: Logger

    /// Opens the stores under `dataDirectory` and builds the pipeline over the configured models.
    /// - Parameters:
    ///   - stores: stores already open (else those under `dataDirectory`).
    ///   - recorders: recorders beside the traces (the server's Prometheus metrics).
    public static func open(
        configuration: CentaurConfiguration, dataDirectory: String, stores: Stores? = nil, httpClient: HTTPClient,
        environment: [String: String] = ProcessInfo.processInfo.environment, recorders: [any CallRecorder] = [], logger: Logger
    ) async throws -> CentaurRuntime {
        let stores = try stores ?? Stores.open(dataDirectory: dataDirectory, environment: environment, configured: configuration.database,
                                               logger: logger)
        // Migrations now (under the database's lock), so a server that cannot reach its database says so at start.
        try await stores.check()
        let registry = ModelRegistry(configuration: configuration, httpClient: httpClient, environment: environment, logger: logger)
        let router = ModelRouter(registry: registry, routes: configuration.routes, policy: configuration.routing)
        let writer = TraceWriter(store: stores.traces, logger: logger)
        let budgets: any BudgetStore = if let shared = stores.budgets { shared } else { try await GatewayPipeline.localBudgets(traces: stores.traces) }
        let recorder = CompositeRecorder([TraceRecorder(writer: writer, capture: configuration.capture, durable: configuration.tracesDurable)] + recorders)
        let embeddingRegistry = EmbeddingRegistry(
            configuration: configuration, httpClient: httpClient,
            nativeDirectory: EmbeddingRegistry.nativeDirectory(home: URL(fileURLWithPath: CentaurHome.resolve(environment: environment))),
            environment: environment)
        let gateway = GatewayPipeline.make(configuration: configuration, router: router, recorder: recorder, budgets: budgets,
                                           cacheStore: stores.cache, embeddings: embeddingRegistry, logger: logger)
        let embeddings = EmbeddingGateway(registry: embeddingRegistry, recorder: recorder, budgets: budgets)
        return CentaurRuntime(configuration: configuration, dataDirectory: dataDirectory, stores: stores, registry: registry,
                              router: router, writer: writer, budgets: budgets, gateway: gateway, embeddings: embeddings, logger: logger)
    }

    /// The pipeline as a ``LanguageModel`` whose calls are recorded under `surface` (`cli`, `extraction`, `evals`).
    public func model(surface: Surface, schemaRepair: Bool = true) -> GatewayModel {
        GatewayModel(gateway: gateway, surface: surface, schemaRepair: schemaRepair)
    }

    /// A model extractor whose calls to the configured model `name` go through the pipeline (traced as `surface`).
    public func modelExtractor(_ name: String, surface: Surface = .extraction, tags: [String: String] = [:]) throws -> ModelExtractor {
        let resolved = try registry.resolve(name)
        var gateway = model(surface: surface, schemaRepair: false)
        gateway.tags = tags
        // The extractor prices its attempts by the configured name: give it the price the gateway uses for that name
        // (an id-keyed table misses a model named `claude` with id `claude-sonnet-4-5`, and a local model's is free).
        var prices = registry.prices
        if let price = resolved.price { prices.set(price, for: name) }
        return ModelExtractor(model: gateway, modelName: name, prices: prices, readsImages: resolved.readsImages)
    }

    /// The onboarding workflow over these stores; with `extractionModel`, documents the deterministic readers cannot
    /// read fully are also read by that model, through the pipeline.
    /// With `fewShot`, the model reads each document after the labelled documents the selector picks (docs/flywheel.md).
    /// Functions named `extract.TYPE` under `functions:` make that type's extraction an experiment: each application
    /// is read by its variant's model, with `examples(k)` labelled documents when the variant asks for `few_shot: k`.
    public func onboarding(ruleSet: RuleSet, extractionModel: String? = nil, fewShot: (any FewShotSelector)? = nil,
                           examples: (Int) throws -> (any FewShotSelector)? = { _ in nil }, signal: JobSignal? = nil,
                           now: @escaping @Sendable () -> Date = Date.init) throws -> OnboardingService {
        var pipeline = DocumentPipeline(modelUse: .never, logger: logger)
        pipeline.variants = try extractionVariants(examples: examples)
        if pipeline.variants != nil { pipeline.modelUse = .whenNeeded }
        if let extractionModel {
            pipeline.model = try modelExtractor(extractionModel)
            pipeline.model?.fewShot = fewShot
            pipeline.modelUse = .whenNeeded
        }
        return OnboardingService(store: stores.workflow, blobs: stores.blobs, ruleSet: ruleSet, pipeline: pipeline, now: now,
                                 signal: signal, logger: logger)
    }

    /// The extraction experiments the configuration names (`extract.TYPE` functions), or nil when there are none.
    func extractionVariants(examples: (Int) throws -> (any FewShotSelector)?) throws -> ExtractionVariants? {
        var functions: [String: ExtractionVariants.Function] = [:]
        for (name, function) in configuration.functions where name.hasPrefix("extract.") {
            let typeID = String(name.dropFirst("extract.".count))
            guard let type = try? DocumentType.named(typeID) else {
                throw ConfigurationError(source: configuration.source, key: "functions.\(name)",
                                         reason: "no document type \(typeID) (extract.us-drivers-license, extract.form-i9, …)")
            }
            var extractors: [String: ModelExtractor] = [:]
            for variant in function.variants {
                guard configuration.model(named: variant.model) != nil else {
                    throw ConfigurationError(source: configuration.source, key: "functions.\(name).variants.\(variant.name)",
                                             reason: "extraction needs a model, not a route (\(variant.model))")
                }
                var extractor = try modelExtractor(variant.model, tags: ["function": name, "variant": variant.name])
                if variant.fewShot > 0 {
                    guard let selector = try examples(variant.fewShot) else {
                        throw ConfigurationError(source: configuration.source, key: "functions.\(name).variants.\(variant.name)",
                                                 reason: "few_shot needs labelled documents (centaur dataset snapshot --type \(typeID)) "
                                                    + "and the embedding model (scripts/setup-embeddings)")
                    }
                    extractor.fewShot = selector
                }
                extractors[variant.name] = extractor
            }
            functions[type.id] = .init(name: name, assign: { function.variant(for: $0).name }, extractors: extractors)
        }
        return functions.isEmpty ? nil : ExtractionVariants(functions: functions)
    }

    /// What runs beside the callers: the trace writer first (so it stops last and writes every answered call), then
    /// the local model servers.
    public var services: [any Service] { [writer] + registry.services }

    /// Runs `body` with the trace writer and the local model servers that `models` need, then writes every trace
    /// and stops them: what a one-shot command (`ask`, `extract`, `eval run`) does around its calls.
    public func withServices<T: Sendable>(for models: [String?], _ body: @Sendable () async throws -> T) async throws -> T {
        let servers = Dictionary(models.compactMap { registry.localServer(for: $0 ?? configuration.defaultModel) }.map { (ObjectIdentifier($0), $0) },
                                 uniquingKeysWith: { first, _ in first }).values
        for server in servers { try server.checkInstalled() }
        let writer = writer
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await writer.run() }
            for server in servers { group.addTask { try await server.run() } }
            // Whether the body answers or throws, every trace it caused is written before the services stop.
            let result: Result<T, any Error>
            do {
                for server in servers { try await server.waitUntilReady() }
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            await writer.flush()
            group.cancelAll()
            while let _ = try? await group.next() {}
            return try result.get()
        }
    }
}
