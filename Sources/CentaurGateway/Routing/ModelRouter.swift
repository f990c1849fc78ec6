import CentaurConfiguration
import CentaurCore
import Foundation
import Tracing
import Synchronization

/// The pipeline's terminal step: resolves the requested name to targets and calls them, retrying
/// retryable failures with jittered backoff (honouring `retry-after`), falling back to the next target,
/// and skipping targets whose circuit breaker is open. Every attempt is appended to the context's
/// ``AttemptLog`` with its tokens and cost.
///
/// A streamed answer can fall back only until its first token has been passed on; after that a failure
/// reaches the caller, since the tokens already sent cannot be taken back.
public final class ModelRouter: Sendable {
    public let routes: [String: Route]
    public let policy: RoutingPolicy
    private let resolve: @Sendable (String) throws -> ResolvedModel
    private let sleep: @Sendable (Duration) async throws -> Void
    let now: @Sendable () -> Date
    private let random: @Sendable () -> Double
    private let breakers: Mutex<[String: CircuitBreaker]>

    public init(
        routes: [Route], policy: RoutingPolicy = RoutingPolicy(),
        resolve: @escaping @Sendable (String) throws -> ResolvedModel,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.routes = Dictionary(routes.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.policy = policy
        self.resolve = resolve
        self.sleep = sleep
        self.now = now
        self.random = random
        self.breakers = Mutex([:])
    }

    /// A router over a registry's models and the configuration's routes.
    public convenience init(registry: ModelRegistry, routes: [Route], policy: RoutingPolicy = RoutingPolicy()) {
        self.init(routes: routes, policy: policy, resolve: { try registry.resolve($0) })
    }

    /// The circuit breaker for a target model.
    public func breaker(for model: String) -> CircuitBreaker {
        breakers.withLock { breakers in
            if let existing = breakers[model] { return existing }
            let breaker = CircuitBreaker(threshold: policy.breakerThreshold, cooldown: policy.breakerCooldown)
            breakers[model] = breaker
            return breaker
        }
    }

    /// The targets for a requested name: a route's, or the configured model itself.
    public func targets(for name: String) -> [Route.Target] {
        if let route = routes[name] { return route.order(random: random) }
        return [Route.Target(model: name)]
    }

    /// The prices of every target a name may reach (nil where unknown or unresolvable), for budget reservations.
    public func prices(for name: String) -> [ModelPrice?] {
        let targets = routes[name]?.targets ?? [Route.Target(model: name)]
        return targets.map { (try? resolve($0.model))?.price }
    }

    public func handle(_ request: ModelRequest, context: GatewayContext) async throws -> ModelStream {
        let plan = try resolvePlan(for: request)
        return .producing { continuation in
            try await self.run(request, targets: plan, context: context) { upstreamRequest, model in
                await self.attempt(upstreamRequest, model: model, context: context, continuation: continuation)
            }
        }
    }

    /// Resolves up front, so an unknown model is a clean error before any streaming starts.
    private func resolvePlan(for request: ModelRequest) throws -> [(Route.Target, ResolvedModel)] {
        let targets = targets(for: request.model)
        var resolved: [(Route.Target, ResolvedModel)] = []
        for target in targets {
            do {
                resolved.append((target, try resolve(target.model)))
            } catch {
                if targets.count == 1 {
                    throw ModelError(kind: .notFound, message: "\(error)", provider: nil, status: 404)
                }
                throw ModelError(kind: .invalidRequest, message: "route '\(request.model)' names a model that cannot be used: \(error)", status: 500)
            }
        }
        // Images and PDFs go only to models that read them; a text-only model (llama.cpp, other OpenAI-compatible
        // servers) would fail upstream with an error of its own. A route keeps the targets that can read them.
        if request.hasImagesOrDocuments {
            let readers = resolved.filter { $0.1.readsImages }
            guard !readers.isEmpty else {
                throw ModelError(kind: .invalidRequest, message: "'\(request.model)' does not read images or PDFs: send their text, "
                    + "or use a model that reads them (an Anthropic, Bedrock or OpenAI model)", status: 400)
            }
            return readers
        }
        return resolved
    }

    /// Answers without streaming: each target's `respond(to:)` is called directly, with the same retries,
    /// backoff, fallbacks, breakers and attempt records as ``handle(_:context:)``, minus the stream hops.
    public func respond(_ request: ModelRequest, context: GatewayContext) async throws -> ModelResponse {
        let plan = try resolvePlan(for: request)
        return try await run(request, targets: plan, context: context) { upstreamRequest, model in
            var recorder = AttemptRecorder(router: self, model: model, context: context, request: upstreamRequest)
            do {
                let response = try await model.model.respond(to: upstreamRequest)
                recorder.upstreamModel = response.model.isEmpty ? recorder.upstreamModel : response.model
                recorder.record(.success, usage: response.usage, status: 200)
                return (.success(response), false)
            } catch {
                let modelError = Self.modelError(error, provider: model.provider.name)
                recorder.record(.failure(modelError), usage: .zero, status: modelError.status)
                return (.failure(modelError), false)
            }
        }
    }

    private func run<T>(
        _ request: ModelRequest, targets: [(Route.Target, ResolvedModel)], context: GatewayContext,
        attempt: (ModelRequest, ResolvedModel) async -> (Result<T, ModelError>, emitted: Bool)
    ) async throws -> T {
        var lastError: ModelError?
        var attempts = 0
        targetLoop: for (target, model) in targets {
            let breaker = breaker(for: target.model)
            guard breaker.allowsRequest(now: now()) else {
                lastError = lastError ?? .unavailable("circuit breaker open for \(target.model)", provider: model.provider.name, status: nil)
                continue
            }
            for retry in 0..<policy.attemptsPerTarget {
                guard attempts < policy.maxAttempts else { break targetLoop }
                attempts += 1
                var upstreamRequest = request
                upstreamRequest.model = target.model
                let (outcome, emitted) = await attempt(upstreamRequest, model)
                try Task.checkCancellation()
                switch outcome {
                case .success(let value):
                    breaker.recordSuccess()
                    return value
                case .failure(let error):
                    lastError = error
                    if error.kind.isRetryable { breaker.recordFailure(now: now()) }
                    if emitted || Self.isCallersFault(error) { throw error }
                    guard error.kind.isRetryable, retry + 1 < policy.attemptsPerTarget else { continue targetLoop }
                    if let retryAfter = error.retryAfter, retryAfter > policy.maxRetryAfter { continue targetLoop }
                    try await sleep(policy.backoff(retry: retry + 1, retryAfter: error.retryAfter, random: random()))
                }
            }
        }
        throw lastError ?? .unavailable("no target could take the request", provider: nil, status: nil)
    }

    static func modelError(_ error: any Error, provider: String) -> ModelError {
        if error is CancellationError || Task.isCancelled {
            return ModelError(kind: .connection, message: "the client went away", provider: provider)
        }
        return error as? ModelError ?? .connection("\(error)", provider: provider)
    }

    /// Errors that another target would repeat: the request itself is at fault.
    static func isCallersFault(_ error: ModelError) -> Bool {
        [.invalidRequest, .contextTooLong, .schemaViolation, .refused].contains(error.kind)
    }

    /// One streamed call to one target; records the attempt. Holds events back until the first token, so that
    /// a failure before it can still fall back.
    private func attempt(_ request: ModelRequest, model: ResolvedModel, context: GatewayContext, continuation: ModelStream.Continuation) async -> (Result<Void, ModelError>, emitted: Bool) {
        var recorder = AttemptRecorder(router: self, model: model, context: context, request: request)
        var accumulator = ModelResponseAccumulator()
        var held: [ModelStreamEvent] = []
        var emitted = false
        let upstream: ModelStream =
            context.streaming
            ? model.model.stream(request)
            : .producing { continuation in
                for event in try await model.model.respond(to: request).streamEvents { continuation.yield(event) }
            }
        func usage() -> Usage { (try? accumulator.response().usage) ?? .zero }
        do {
            for try await event in upstream {
                accumulator.add(event)
                if case .start(_, let reported) = event, !reported.isEmpty { recorder.upstreamModel = reported }
                if emitted {
                    continuation.yield(event)
                    continue
                }
                held.append(event)
                switch event {
                case .textDelta, .toolUseStart, .toolInputDelta:
                    emitted = true
                    recorder.firstToken = recorder.elapsed
                    held.forEach { continuation.yield($0) }
                    held.removeAll()
                default:
                    break
                }
            }
            // A stream that stops without its finish event was cut (or its consumer went away).
            try Task.checkCancellation()
            guard accumulator.isFinished else {
                throw ModelError.connection("the answer ended before it was finished", provider: model.provider.name)
            }
            held.forEach { continuation.yield($0) }
            recorder.record(.success, usage: usage(), status: 200)
            return (.success(()), false)
        } catch {
            let modelError = Self.modelError(error, provider: model.provider.name)
            recorder.record(.failure(modelError), usage: usage(), status: modelError.status)
            return (.failure(modelError), emitted)
        }
    }

    /// Times one attempt, traces it as a GenAI client span, and appends it to the request's attempt log.
    struct AttemptRecorder {
        let router: ModelRouter
        let model: ResolvedModel
        let context: GatewayContext
        let number: Int
        let startedAt: Date
        let started = ContinuousClock.now
        let span: any Span
        var upstreamModel: String
        var firstToken: Duration?

        init(router: ModelRouter, model: ResolvedModel, context: GatewayContext, request: ModelRequest) {
            self.router = router
            self.model = model
            self.context = context
            self.number = context.attempts.nextNumber
            self.startedAt = router.now()
            self.upstreamModel = model.configuration.id
            // One client span per attempt, named and attributed per the OpenTelemetry GenAI conventions.
            let span = startSpan("chat \(model.configuration.id)", ofKind: .client)
            span.attributes["gen_ai.operation.name"] = "chat"
            span.attributes["gen_ai.provider.name"] = model.provider.kind.rawValue
            span.attributes["gen_ai.request.model"] = model.configuration.id
            span.attributes["centaur.request.id"] = context.requestID
            span.attributes["centaur.attempt"] = number
            if let maxTokens = request.maxTokens { span.attributes["gen_ai.request.max_tokens"] = maxTokens }
            if let temperature = request.temperature { span.attributes["gen_ai.request.temperature"] = temperature }
            self.span = span
        }

        var elapsed: Duration { ContinuousClock.now - started }

        func record(_ outcome: Attempt.Outcome, usage: Usage, status: Int?) {
            span.attributes["gen_ai.response.model"] = upstreamModel
            span.attributes["gen_ai.usage.input_tokens"] = usage.inputTokens
            span.attributes["gen_ai.usage.output_tokens"] = usage.outputTokens
            if case .failure(let error) = outcome {
                span.attributes["error.type"] = error.kind.description
                span.setStatus(SpanStatus(code: .error, message: error.message))
            }
            span.end()
            context.attempts.append(Attempt(
                number: number, model: model.configuration.name, provider: model.provider.name, upstreamModel: upstreamModel,
                startedAt: startedAt, endedAt: router.now(), outcome: outcome, usage: usage, costUSD: model.cost(of: usage),
                latency: elapsed, timeToFirstToken: firstToken, status: status))
        }
    }
}
