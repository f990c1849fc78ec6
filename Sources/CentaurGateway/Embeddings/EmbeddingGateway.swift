import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGuardrails
import CentaurProviders
import CentaurRetrieval
import CentaurStore
import Foundation
import Synchronization

/// A configured embedding model resolved to something that answers, with its price and data policy.
public struct ResolvedEmbeddingModel: Sendable {
    public let configuration: EmbeddingModelConfiguration
    public let model: any EmbeddingModel
    /// The provider name traces record (`native` for the in-process MiniLM).
    public let providerName: String
    /// The personal data it may receive.
    public let allowed: Set<PIIType>

    /// USD for `usage`, nil when the price is unknown.
    public func cost(of usage: Usage) -> Double? {
        configuration.inputPrice.map { Double(usage.inputTokens) * $0 / 1_000_000 }
    }
}

/// Builds each configured embedding model once: upstream ones through the provider factory's settings, the native
/// all-MiniLM-L6-v2 loaded on first use (its 90 MB of weights stay out of processes that never embed).
public final class EmbeddingRegistry: Sendable {
    public let configuration: CentaurConfiguration
    private let built: [String: Result<ResolvedEmbeddingModel, ConfigurationProblem>]

    /// - Parameter nativeDirectory: where the native model's weights are (`scripts/setup-embeddings` puts them under
    ///   the Centaur home).
    public init(configuration: CentaurConfiguration, httpClient: HTTPClient, nativeDirectory: URL,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.configuration = configuration
        let native = NativeEmbeddingModel(directory: nativeDirectory)
        var built: [String: Result<ResolvedEmbeddingModel, ConfigurationProblem>] = [:]
        for entry in configuration.allEmbeddingModels {
            built[entry.name] = Result {
                if entry.isNative {
                    return ResolvedEmbeddingModel(configuration: entry, model: native, providerName: EmbeddingModelConfiguration.native, allowed: Set(PIIType.allCases))
                }
                guard let provider = configuration.providers[entry.provider] else { throw ConfigurationProblem("embeddings.\(entry.name): no provider '\(entry.provider)'") }
                let factory = ProviderFactory(httpClient: httpClient, environment: environment)
                let policy = entry.pii ?? provider.pii ?? PIIPolicy.defaultPolicy(for: provider.kind)
                return ResolvedEmbeddingModel(configuration: entry, model: try factory.makeEmbedding(entry, provider: provider),
                                              providerName: provider.name, allowed: policy.allowed)
            }.mapError { $0 as? ConfigurationProblem ?? ConfigurationProblem("\($0)") }
        }
        self.built = built
    }

    /// Where `scripts/setup-embeddings` puts the native model under a Centaur home.
    public static func nativeDirectory(home: URL) -> URL { MiniLMEncoder.defaultDirectory(home: home) }

    /// Every name a client may ask for.
    public var names: [String] { configuration.allEmbeddingModels.map(\.name) }

    /// The model called `name`; an unknown name is a 404 naming the ones there are.
    public func resolve(_ name: String) throws -> ResolvedEmbeddingModel {
        guard let result = built[name] else {
            let chat = configuration.model(named: name) != nil || configuration.routes.contains { $0.name == name }
            throw ModelError(kind: chat ? .invalidRequest : .notFound,
                             message: chat ? "'\(name)' is a chat model; embedding models: \(names.joined(separator: ", "))"
                                 : "unknown embedding model '\(name)'; embedding models: \(names.joined(separator: ", "))",
                             status: chat ? 400 : 404)
        }
        do { return try result.get() } catch {
            throw ModelError(kind: .unavailable, message: "embedding model '\(name)' cannot be used: \(error)", status: 503)
        }
    }
}

extension ProviderFactory {
    /// An upstream embedding model: OpenAI-compatible `/embeddings` or Bedrock `InvokeModel`.
    public func makeEmbedding(_ entry: EmbeddingModelConfiguration, provider: ProviderConfiguration) throws -> any EmbeddingModel {
        if let missing = provider.missingEnvironment.first { throw ConfigurationProblem("providers.\(provider.name): \(missing)") }
        let timeout = Duration.milliseconds(Int64((provider.timeoutSeconds ?? 60) * 1000))
        switch provider.settings {
        case .openai(let settings):
            let flavor: OpenAICompatibleModel.Flavor =
                switch settings.flavor {
                case .azure(let deployment, let apiVersion): .azure(deployment: deployment, apiVersion: apiVersion)
                case .openai: .openai
                default: .compatible
                }
            return OpenAIEmbeddingModel(configuration: .init(baseURL: settings.baseURL, apiKey: settings.apiKey, modelID: entry.id, flavor: flavor, timeout: timeout),
                                        dimensions: entry.dimensions, httpClient: httpClient, provider: provider.name)
        case .bedrock(let settings):
            let chain = AWSCredentialChain(environment: environment)
            guard let region = settings.region ?? chain.region() else {
                throw ConfigurationProblem("providers.\(provider.name): no AWS region; set region: in the provider, or AWS_REGION")
            }
            return BedrockEmbeddingModel(configuration: .init(region: region, endpoint: settings.endpoint, modelID: entry.id, credentials: try chain.credentials(), timeout: timeout),
                                         dimensions: entry.dimensions, httpClient: httpClient, provider: provider.name)
        default:
            throw ConfigurationProblem("embeddings.\(entry.name): a \(provider.kind.rawValue) provider serves no embeddings")
        }
    }
}

/// The native all-MiniLM-L6-v2, loaded on first use; missing weights are a 503 that says how to install them.
final class NativeEmbeddingModel: EmbeddingModel, Sendable {
    let name = EmbeddingModelConfiguration.nativeMiniLM.id
    let dimensions = 384
    let directory: URL
    private let loaded = Mutex<MiniLMEncoder?>(nil)

    init(directory: URL) { self.directory = directory }

    func encoder() throws -> MiniLMEncoder {
        try loaded.withLock { encoder in
            if let encoder { return encoder }
            do {
                let made = try MiniLMEncoder(directory: directory)
                encoder = made
                return made
            } catch {
                throw ModelError(kind: .unavailable,
                                 message: "the native embedding model is not installed at \(directory.path) (\(error)); run scripts/setup-embeddings",
                                 provider: EmbeddingModelConfiguration.native, status: 503)
            }
        }
    }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        try await embeddings(for: EmbeddingRequest(inputs: texts)).vectors
    }

    func embeddings(for request: EmbeddingRequest) async throws -> EmbeddingResult {
        let encoder = try encoder()
        let size = request.inputs.reduce(0) { $0 + $1.utf8.count }
        // The forward pass is CPU work: off the cooperative threads, so one long batch does not hold up other requests.
        return await CPUWork.run(size: max(size, CPUWork.inlineLimit)) {
            var tokens = 0
            let vectors = request.inputs.map { text -> [Float] in
                let ids = encoder.tokenizer.ids(text)
                tokens += ids.count
                var vector = encoder.encode(ids: ids)
                if let dimensions = request.dimensions, dimensions < vector.count {
                    // Cut and renormalised, as OpenAI's `dimensions` does for its own models.
                    vector = Array(vector.prefix(dimensions))
                    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    if norm > 0 { vector = vector.map { $0 / norm } }
                }
                return vector
            }
            return EmbeddingResult(vectors: vectors, usage: Usage(inputTokens: tokens), model: self.name)
        }
    }
}

/// Embedding calls made the way every model call is: budgets reserved and settled, personal data the model may not
/// receive redacted before it leaves (a vector of redacted text; nothing is restored, there is no text to restore
/// into), retried on transient faults, and recorded as a trace with tokens, cost and latency (surface
/// `embeddings`; the inputs are the request's user messages, captured as `traces.capture` says).
public struct EmbeddingGateway: Sendable {
    public let registry: EmbeddingRegistry
    let recorder: (any CallRecorder)?
    let budgets: BudgetMiddleware?
    let policy: RoutingPolicy
    let detector: PIIDetector
    private let now: @Sendable () -> Date

    public init(registry: EmbeddingRegistry, recorder: (any CallRecorder)?, budgets: (any BudgetStore)?,
                detector: PIIDetector = PIIDetector(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.registry = registry
        self.recorder = recorder
        let configuration = registry.configuration
        self.budgets = budgets.map {
            BudgetMiddleware(store: $0, teams: configuration.teamLimits, worstCase: { _ in 0 }, whenStoreDown: configuration.budgetsWhenStoreDown)
        }
        self.policy = configuration.routing
        self.detector = detector
        self.now = now
    }

    /// The most inputs one call may carry (OpenAI's limit).
    public static let maximumInputs = 2048

    /// Embeds `request.inputs` with the model called `model`, as `context.caller`.
    public func embed(_ request: EmbeddingRequest, model name: String, context: GatewayContext) async throws -> EmbeddingResult {
        let startedAt = now()
        let asModelRequest = ModelRequest(model: name, messages: request.inputs.map { Message(role: .user, content: [.text($0)]) })
        do {
            guard !request.inputs.isEmpty else { throw ModelError.invalidRequest("input is empty: send a string or a list of strings", provider: nil) }
            guard request.inputs.count <= Self.maximumInputs else {
                throw ModelError.invalidRequest("input has \(request.inputs.count) items; at most \(Self.maximumInputs) a request", provider: nil)
            }
            if let dimensions = request.dimensions, dimensions < 1 { throw ModelError.invalidRequest("dimensions must be at least 1", provider: nil) }
            let resolved = try registry.resolve(name)
            let reservation = try await budgets?.reserve(worstCaseUSD: {
                // Every byte a token: no tokenizer spends more.
                Double(request.inputs.reduce(0) { $0 + $1.utf8.count + 2 }) * (resolved.configuration.inputPrice ?? 0) / 1_000_000
            }, context: context)
            let result: EmbeddingResult
            do {
                result = try await call(redacted(request, for: resolved, context: context), model: resolved, context: context)
                await budgets?.settle(reservation, context: context)
            } catch {
                await budgets?.settle(reservation, context: context)
                throw error
            }
            let response = ModelResponse(model: result.model ?? resolved.configuration.id, content: [], stopReason: .endTurn, usage: result.usage)
            try await record(asModelRequest, context: context, startedAt: startedAt, response: response, error: nil)
            return result
        } catch let unrecorded as UnrecordedEmbedding {
            throw unrecorded.error
        } catch {
            try? await record(asModelRequest, context: context, startedAt: startedAt, response: nil, error: RecordingMiddleware.modelError(error))
            throw error
        }
    }

    private struct UnrecordedEmbedding: Error { let error: any Error }

    private func record(_ request: ModelRequest, context: GatewayContext, startedAt: Date, response: ModelResponse?, error: ModelError?) async throws {
        guard let recorder else { return }
        do {
            try await recorder.record(CompletedCall(
                requestID: context.requestID, caller: context.caller, route: context.route, surface: context.surface,
                tags: context.tags.merging(context.facts.tags) { _, fact in fact }, startedAt: startedAt, endedAt: now(),
                request: request, response: response, error: error, attempts: context.attempts.all))
        } catch {
            if response != nil { throw UnrecordedEmbedding(error: error) }
        }
    }

    /// The inputs with what the model may not receive replaced by placeholders; the trace says what was redacted.
    func redacted(_ request: EmbeddingRequest, for model: ResolvedEmbeddingModel, context: GatewayContext) async -> EmbeddingRequest {
        guard model.allowed.count < PIIType.allCases.count else { return request }
        let redactor = Redactor(detector: detector, mode: .tokenize, allowed: model.allowed)
        let size = request.inputs.reduce(0) { $0 + $1.utf8.count }
        let (inputs, counts) = await CPUWork.run(size: size) { () -> ([String], RedactionCounts) in
            let vault = TokenVault()
            var counts = RedactionCounts()
            let inputs = request.inputs.map { text -> String in
                let (redacted, findings) = redactor.redact(text, vault: vault)
                counts.add(findings)
                return redacted
            }
            return (inputs, counts)
        }
        if !counts.isEmpty { context.facts.redacted(counts.summary) }
        var redacted = request
        redacted.inputs = inputs
        return redacted
    }

    /// Calls the model, retrying transient faults (`routing.attempts_per_target` tries, with backoff), each attempt
    /// in the context's log.
    func call(_ request: EmbeddingRequest, model: ResolvedEmbeddingModel, context: GatewayContext) async throws -> EmbeddingResult {
        let clock = ContinuousClock()
        var tries = 0
        while true {
            tries += 1
            let startedAt = now(), started = clock.now
            do {
                let result = try await model.model.embeddings(for: request)
                guard result.vectors.count == request.inputs.count else {
                    throw ModelError.malformedResponse("\(model.providerName) sent \(result.vectors.count) vectors for \(request.inputs.count) inputs", provider: model.providerName)
                }
                context.attempts.append(attempt(model, context: context, startedAt: startedAt, latency: clock.now - started, outcome: .success, usage: result.usage, upstream: result.model))
                return result
            } catch {
                let failure = RecordingMiddleware.modelError(error)
                context.attempts.append(attempt(model, context: context, startedAt: startedAt, latency: clock.now - started, outcome: .failure(failure), usage: .zero, upstream: nil))
                guard failure.kind.isRetryable, tries < policy.attemptsPerTarget, !Task.isCancelled else { throw failure }
                let backoff = min(policy.baseBackoff * (1 << (tries - 1)), policy.maxBackoff)
                let wait = failure.retryAfter.map { max($0, backoff) } ?? backoff
                guard wait <= policy.maxRetryAfter else { throw failure }
                try await Task.sleep(for: wait)
            }
        }
    }

    func attempt(_ model: ResolvedEmbeddingModel, context: GatewayContext, startedAt: Date, latency: Duration, outcome: Attempt.Outcome, usage: Usage, upstream: String?) -> Attempt {
        Attempt(number: context.attempts.nextNumber, model: model.configuration.name, provider: model.providerName, upstreamModel: upstream ?? model.configuration.id,
                startedAt: startedAt, endedAt: now(), outcome: outcome, usage: usage, costUSD: model.cost(of: usage),
                latency: latency, timeToFirstToken: nil, status: { if case .failure(let e) = outcome { return e.status }; return 200 }())
    }
}
