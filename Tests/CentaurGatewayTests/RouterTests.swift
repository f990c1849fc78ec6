import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurProviders
import CentaurTestSupport
import Foundation
import NIOConcurrencyHelpers
import Testing

/// Routing, retries, fallbacks and circuit breaking, with scripted models and recorded sleeps.
struct RouterTests {
    static func answer(_ text: String, usage: Usage = Usage(inputTokens: 100, outputTokens: 10)) -> ScriptedModel.Step {
        .respond(ModelResponse(model: "upstream-\(text)", content: [.text(text)], stopReason: .endTurn, usage: usage))
    }

    static func resolved(_ name: String, _ model: any LanguageModel, price: ModelPrice = ModelPrice(input: 1, output: 2)) -> ResolvedModel {
        ResolvedModel(
            configuration: ModelConfiguration(name: name, provider: "p-\(name)", id: "id-\(name)"),
            provider: ProviderConfiguration(name: "p-\(name)", settings: .openai(.init(baseURL: "http://127.0.0.1:9/v1"))), model: model, price: price)
    }

    final class Sleeps: Sendable {
        let box = NIOLockedValueBox<[Duration]>([])
        var all: [Duration] { box.withLockedValue { $0 } }
    }

    static func router(
        _ models: [String: any LanguageModel], routes: [Route], policy: RoutingPolicy = RoutingPolicy(baseBackoff: .milliseconds(100)),
        sleeps: Sleeps = Sleeps(), now: @escaping @Sendable () -> Date = { Date(timeIntervalSince1970: 0) }
    ) -> ModelRouter {
        ModelRouter(
            routes: routes, policy: policy,
            resolve: { name in
                guard let model = models[name] else { throw ConfigurationProblem("unknown model '\(name)'") }
                return resolved(name, model)
            },
            sleep: { duration in sleeps.box.withLockedValue { $0.append(duration) } },
            now: now, random: { 0.5 })
    }

    static let route = Route(name: "smart", targets: [.init(model: "primary"), .init(model: "backup")])

    @Test("each fault on the primary is survived through the fallback, and every attempt is recorded", arguments: [
        ModelError.rateLimited(retryAfter: .milliseconds(50), provider: "p"),
        ModelError.overloaded("Overloaded", provider: "p", status: 529),
        ModelError.unavailable("boom", provider: "p", status: 500),
        ModelError.timeout("slow", provider: "p"),
        ModelError.connection("the stream was cut", provider: "p"),
    ])
    func fallbackOnFault(fault: ModelError) async throws {
        let primary = ScriptedModel(steps: [.fail(fault)])
        let backup = ScriptedModel(steps: [Self.answer("from backup")])
        let router = Self.router(["primary": primary, "backup": backup], routes: [Self.route])
        let context = GatewayContext(route: "smart")
        let response = try await router.handle(ModelRequest(model: "smart", messages: [.user("hi")]), context: context).collect()
        #expect(response.text == "from backup")
        let attempts = context.attempts.all
        #expect(attempts.map(\.model) == ["primary", "primary", "backup"])
        #expect(attempts.map(\.succeeded) == [false, false, true])
        #expect(attempts.map(\.number) == [1, 2, 3])
        guard case .failure(let error) = attempts[0].outcome else { Issue.record("the first attempt did not fail"); return }
        #expect(error.kind == fault.kind && error.message == fault.message, "the attempt keeps the provider's typed error")
        #expect(primary.requests.allSatisfy { $0.model == "primary" })
    }

    @Test func everyAttemptIsCostedIncludingPartialUsageOfFailedOnes() async throws {
        // A stream that reports input tokens, then is cut: its tokens were billed upstream, so they count.
        let cut = CutStreamModel(usage: Usage(inputTokens: 500))
        let backup = ScriptedModel(steps: [Self.answer("ok", usage: Usage(inputTokens: 1_000_000, outputTokens: 500_000))])
        let router = Self.router(["primary": cut, "backup": backup], routes: [Self.route], policy: RoutingPolicy(attemptsPerTarget: 1))
        let context = GatewayContext(route: "smart")
        _ = try await router.handle(ModelRequest(model: "smart", messages: [.user("hi")]), context: context).collect()
        let attempts = context.attempts.all
        #expect(attempts.count == 2)
        #expect(attempts[0].usage.inputTokens == 500)
        #expect(abs((attempts[0].costUSD ?? 0) - 0.0005) < 1e-12)
        #expect(abs(context.attempts.totalCostUSD - (0.0005 + 1 + 1)) < 1e-9)
    }

    @Test func retryAfterIsHonouredAndBackoffIsJitteredAndCapped() async throws {
        let primary = ScriptedModel(steps: [
            .fail(.rateLimited(retryAfter: .seconds(2), provider: "p")),
            .fail(.unavailable("x", provider: "p", status: 503)),
            Self.answer("third time"),
        ])
        let sleeps = Sleeps()
        let policy = RoutingPolicy(attemptsPerTarget: 3, baseBackoff: .milliseconds(100), maxBackoff: .milliseconds(150))
        let router = Self.router(["primary": primary], routes: [], policy: policy, sleeps: sleeps)
        let response = try await router.handle(ModelRequest(model: "primary", messages: [.user("hi")]), context: GatewayContext(route: "primary")).collect()
        #expect(response.text == "third time")
        // First wait: retry-after (2 s) beats the backoff; second: 200 ms capped at 150 ms, times the jitter factor 0.75.
        #expect(sleeps.all == [.seconds(2), .microseconds(112_500)])
    }

    @Test func aRetryAfterLongerThanTheLimitMovesOnInsteadOfWaiting() async throws {
        let primary = ScriptedModel(steps: [.fail(.rateLimited(retryAfter: .seconds(60), provider: "p"))])
        let backup = ScriptedModel(steps: [Self.answer("backup")])
        let sleeps = Sleeps()
        let router = Self.router(["primary": primary, "backup": backup], routes: [Self.route], sleeps: sleeps)
        let context = GatewayContext(route: "smart")
        _ = try await router.handle(ModelRequest(model: "smart", messages: [.user("hi")]), context: context).collect()
        #expect(sleeps.all.isEmpty)
        #expect(context.attempts.all.map(\.model) == ["primary", "backup"])
    }

    @Test func theCallersMistakesAreNotRetriedOrFallenBackFrom() async throws {
        let primary = ScriptedModel(steps: [.fail(.contextTooLong("too long", provider: "p"))])
        let backup = ScriptedModel(steps: [Self.answer("backup")])
        let router = Self.router(["primary": primary, "backup": backup], routes: [Self.route])
        let error = await #expect(throws: ModelError.self) {
            try await router.handle(ModelRequest(model: "smart", messages: [.user("hi")]), context: GatewayContext(route: "smart")).collect()
        }
        #expect(error?.kind == .contextTooLong)
        #expect(backup.requests.isEmpty)
    }

    @Test func whenEveryTargetFailsTheLastErrorIsReturned() async throws {
        let primary = ScriptedModel(steps: [.fail(.unavailable("down", provider: "p", status: 503))])
        let backup = ScriptedModel(steps: [.fail(.overloaded("busy", provider: "b", status: 529))])
        let router = Self.router(["primary": primary, "backup": backup], routes: [Self.route], policy: RoutingPolicy(attemptsPerTarget: 2, maxAttempts: 3))
        let context = GatewayContext(route: "smart")
        let error = await #expect(throws: ModelError.self) {
            try await router.handle(ModelRequest(model: "smart", messages: [.user("hi")]), context: context).collect()
        }
        #expect(error?.kind == .overloaded)
        #expect(context.attempts.all.count == 3)
    }

    @Test func anOpenCircuitSkipsItsTargetUntilTheCooldownEnds() async throws {
        let clock = NIOLockedValueBox(Date(timeIntervalSince1970: 0))
        let primary = ScriptedModel(steps: [
            .fail(.unavailable("down", provider: "p", status: 503)), .fail(.unavailable("down", provider: "p", status: 503)),
            Self.answer("primary is back"),
        ])
        let backup = ScriptedModel(steps: [Self.answer("backup")])
        let policy = RoutingPolicy(attemptsPerTarget: 1, breakerThreshold: 2, breakerCooldown: .seconds(30))
        let router = Self.router(["primary": primary, "backup": backup], routes: [Self.route], policy: policy, now: { clock.withLockedValue { $0 } })
        let request = ModelRequest(model: "smart", messages: [.user("hi")])
        for _ in 0..<2 { _ = try await router.handle(request, context: GatewayContext(route: "smart")).collect() }
        #expect(primary.requests.count == 2)
        // Open: the primary is skipped.
        let skipped = try await router.handle(request, context: GatewayContext(route: "smart")).collect()
        #expect(skipped.text == "backup")
        #expect(primary.requests.count == 2)
        // After the cooldown one trial goes through, succeeds, and closes the circuit.
        clock.withLockedValue { $0 = $0.addingTimeInterval(31) }
        let trial = try await router.handle(request, context: GatewayContext(route: "smart")).collect()
        #expect(trial.text == "primary is back")
        #expect(router.breaker(for: "primary").current == .closed(failures: 0))
    }

    @Test func weightsSpreadTheFirstChoiceAndKeepTheOthersAsFallbacks() {
        let route = Route(name: "r", targets: [.init(model: "a", weight: 3), .init(model: "b", weight: 1)])
        #expect(route.order(random: { 0.1 }).map(\.model) == ["a", "b"])
        #expect(route.order(random: { 0.9 }).map(\.model) == ["b", "a"])
        let unweighted = Route(name: "r", targets: [.init(model: "x"), .init(model: "y")])
        #expect(unweighted.order(random: { 0.9 }).map(\.model) == ["x", "y"])
    }

    @Test func anUnknownModelIsNotFound() async throws {
        let router = Self.router([:], routes: [])
        let error = await #expect(throws: ModelError.self) {
            _ = try await router.handle(ModelRequest(model: "nope", messages: [.user("hi")]), context: GatewayContext(route: "nope"))
        }
        #expect(error?.kind == .notFound)
    }

    @Test func theRecordingMiddlewareSeesTheAnswerAndEveryAttempt() async throws {
        let primary = ScriptedModel(steps: [.fail(.overloaded("busy", provider: "p", status: 529))])
        let backup = ScriptedModel(steps: [Self.answer("hello")])
        let router = Self.router(["primary": primary, "backup": backup], routes: [Self.route], policy: RoutingPolicy(attemptsPerTarget: 1))
        let recorder = CollectingRecorder()
        let gateway = Gateway(middleware: [RecordingMiddleware(recorder: recorder)], terminal: router.handle)
        var context = GatewayContext(route: "smart", surface: "test")
        context.tags = ["feature": "onboarding"]
        let response = try await gateway.respond(to: ModelRequest(model: "smart", messages: [.user("hi")]), context: context)
        #expect(response.text == "hello")
        let call = try #require(recorder.calls.first)
        #expect(call.response?.text == "hello")
        #expect(call.error == nil)
        #expect(call.attempts.map(\.model) == ["primary", "backup"])
        #expect(call.tags == ["feature": "onboarding"])
        #expect(abs(call.totalCostUSD - (100 * 1 + 10 * 2) / 1_000_000.0) < 1e-12)
    }
}

final class CollectingRecorder: CallRecorder {
    private let box = NIOLockedValueBox<[CompletedCall]>([])
    var calls: [CompletedCall] { box.withLockedValue { $0 } }
    func record(_ call: CompletedCall) async throws { box.withLockedValue { $0.append(call) } }
}

/// Streams a start with usage, then fails as a cut connection would.
struct CutStreamModel: LanguageModel {
    let usage: Usage
    let provider = "cut"
    func stream(_ request: ModelRequest) -> ModelStream {
        .producing { continuation in
            continuation.yield(.start(id: nil, model: "cut-model"))
            continuation.yield(.usage(usage))
            throw ModelError.connection("stream cut", provider: "cut")
        }
    }
}

/// A recorder that cannot record: the trace store is down.
struct FailingRecorder: CallRecorder {
    func record(_ call: CompletedCall) async throws {
        throw ModelError(kind: .storeUnavailable, message: "the trace store does not answer", status: 503)
    }
}

@Suite("Recording")
struct RecordingTests {
    @Test("an answer that cannot be recorded is withheld with a 503, streamed or not; a failed call keeps its own error")
    func unrecordedAnswersAreWithheld() async throws {
        let model = ScriptedModel(steps: [RouterTests.answer("one"), RouterTests.answer("two"), .fail(.invalidRequest("bad", provider: "p"))])
        let router = RouterTests.router(["m": model], routes: [])
        let gateway = Gateway(middleware: [RecordingMiddleware(recorder: FailingRecorder())], terminal: router.handle, terminalResponder: router.respond)
        let request = ModelRequest(model: "m", messages: [.user("hi")])
        let whole = await #expect(throws: ModelError.self) { _ = try await gateway.respond(to: request, context: GatewayContext(route: "m")) }
        #expect(whole?.kind == .storeUnavailable && whole?.status == 503)
        let streamed = await #expect(throws: ModelError.self) {
            for try await _ in try await gateway.stream(request, context: GatewayContext(route: "m")) {}
        }
        #expect(streamed?.kind == .storeUnavailable)
        let failed = await #expect(throws: ModelError.self) { _ = try await gateway.respond(to: request, context: GatewayContext(route: "m")) }
        #expect(failed?.kind == .invalidRequest)
    }
}
