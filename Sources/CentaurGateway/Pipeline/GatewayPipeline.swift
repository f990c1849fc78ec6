import CentaurConfiguration
import CentaurCore
import CentaurGuardrails
import CentaurStore
import Foundation
import Logging

/// The one place that says the gateway's middleware order. The server's endpoints, the CLI, the extraction worker
/// and evals all call models through a pipeline built here, so every call is traced, costed, budgeted, guarded and
/// checked by the data policy the same way.
///
/// Order: functions (a function's name becomes its variant's model, sticky per subject) → record → budgets → guards (on what the client sent and will see) → schema repair (asks again when an
/// answer breaks the requested JSON Schema; the guards see the repaired answer) → data policy (redaction for providers
/// not approved for the data) → cache (which sees the redacted request, so cached answers hold placeholders, never
/// personal data) → semantic cache (opt-in per route; also on the redacted request) → router (retries, fallbacks, circuit breakers) → provider.
public enum GatewayPipeline {
    /// - Parameters:
    ///   - recorder: where each call's attempts go (traces, metrics); nil records nothing.
    ///   - budgets: where budgets per key and team are decided; nil checks none.
    ///   - cacheStore: the exact cache's store, used when the configuration enables the cache.
    public static func make(configuration: CentaurConfiguration, router: ModelRouter, recorder: (any CallRecorder)?,
                            budgets: (any BudgetStore)?, cacheStore: (any ResponseCacheStore)?, embeddings: EmbeddingRegistry? = nil,
                            logger: Logger = Logger(label: "centaur.budgets")) -> Gateway {
        var middleware: [any GatewayMiddleware] = []
        if !configuration.functions.isEmpty { middleware.append(FunctionMiddleware(functions: configuration.functions)) }
        if let recorder { middleware.append(RecordingMiddleware(recorder: recorder)) }
        if let budgets {
            middleware.append(BudgetMiddleware(store: budgets, teams: configuration.teamLimits,
                                               worstCase: { WorstCase.cost($0, prices: router.prices(for: $0.model)) },
                                               whenStoreDown: configuration.budgetsWhenStoreDown, logger: logger))
        }
        let guards = configuration.guardrails.guards()
        if !guards.isEmpty { middleware.append(GuardrailMiddleware(guards: guards)) }
        if configuration.guardrails.schemaRepair { middleware.append(SchemaRepairMiddleware()) }
        let dataPolicy = DataPolicy(configuration: configuration)
        if dataPolicy.restrictsAny { middleware.append(DataPolicyMiddleware(policy: dataPolicy)) }
        if configuration.cache.enabled, let cacheStore {
            middleware.append(CacheMiddleware(cache: ResponseCache(store: cacheStore, ttl: configuration.cache.ttlSeconds, capacity: configuration.cache.capacity)))
        }
        if configuration.cache.enabled, let semantic = configuration.cache.semantic, let embeddings {
            do {
                let model = try embeddings.resolve(semantic.embedding)
                middleware.append(SemanticCacheMiddleware(settings: semantic, embedder: model.model, allowed: model.allowed))
            } catch {
                logger.error("semantic cache off: its embedding model cannot be used", metadata: ["embedding": "\(semantic.embedding)", "error": "\(error)"])
            }
        }
        return Gateway(middleware: middleware, terminal: router.handle, terminalResponder: router.respond)
    }

    /// Budgets kept in this process (one `serve` on SQLite), starting from this month's spend in the traces.
    public static func localBudgets(traces: any TraceStore, now: Date = Date()) async throws -> LocalBudgets {
        var spent: [String: Double] = [:]
        for row in try await traces.spend(since: BudgetMath.monthStart(of: now)) {
            if let key = row.keyID { spent["key:\(key)", default: 0] += row.costUSD }
            if let team = row.team { spent["team:\(team)", default: 0] += row.costUSD }
        }
        return LocalBudgets(spent: spent.mapValues { BudgetMath.micro($0) }, at: now)
    }
}
