import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurStore
import CentaurTestSupport
import Foundation
import Synchronization
import Testing

/// A budget store that does not answer, as PostgreSQL when it is down.
struct DownBudgets: BudgetStore {
    struct Down: Error {}
    func reserve(_ subjects: [BudgetSubject], microUSD: Int64, at date: Date) async throws -> BudgetDecision { throw Down() }
    func settle(_ reservation: BudgetReservation, tokens: Int, microUSD: Int64, at date: Date) async throws { throw Down() }
    func spent(_ subject: String, at date: Date) async throws -> Int64 { throw Down() }
}

/// Budgets before the call and settled after, around the router.
struct BudgetMiddlewareTests {
    static let caller = CallerIdentity(keyID: "k1", keyName: "capped", team: "drivers", limits: Limits(monthlyUSD: 1))

    static func gateway(_ store: any BudgetStore, mode: BudgetFailureMode = .refuse, model: ScriptedModel) -> Gateway {
        let router = RouterTests.router(["m": model], routes: [])
        let budgets = BudgetMiddleware(store: store, teams: ["drivers": Limits(rpm: 100)],
                                       worstCase: { WorstCase.cost($0, prices: router.prices(for: $0.model)) }, whenStoreDown: mode)
        return Gateway(middleware: [budgets], terminal: router.handle, terminalResponder: router.respond)
    }

    @Test("a budget store that does not answer refuses the request with store_unavailable; the model is never called")
    func storeDownRefuses() async throws {
        let model = ScriptedModel(steps: [RouterTests.answer("hi")])
        let gateway = Self.gateway(DownBudgets(), model: model)
        let error = await #expect(throws: ModelError.self) {
            _ = try await gateway.respond(to: ModelRequest(model: "m", messages: [.user("hi")]), context: GatewayContext(caller: Self.caller, route: "m"))
        }
        #expect(error?.kind == .storeUnavailable && error?.status == 503 && error?.message.contains("key:k1, team:drivers") == true)
        #expect(model.requests.isEmpty)
        // A caller with no budget needs no decision, and is served.
        let free = try await gateway.respond(to: ModelRequest(model: "m", messages: [.user("hi")]), context: GatewayContext(route: "m"))
        #expect(free.text == "hi")
    }

    @Test("budgets.when_store_down: admit lets a request through unchecked when the store is down")
    func storeDownAdmits() async throws {
        let gateway = Self.gateway(DownBudgets(), mode: .admit, model: ScriptedModel(steps: [RouterTests.answer("hi")]))
        let response = try await gateway.respond(to: ModelRequest(model: "m", messages: [.user("hi")]), context: GatewayContext(caller: Self.caller, route: "m"))
        #expect(response.text == "hi")
    }

    @Test("a call reserves its worst case and settles what it cost, streamed or not, failed or not")
    func settles() async throws {
        let budgets = LocalBudgets()
        let model = ScriptedModel(steps: [RouterTests.answer("one"), RouterTests.answer("two"), .fail(.invalidRequest("bad", provider: "p"))])
        let gateway = Self.gateway(budgets, model: model)
        let request = ModelRequest(model: "m", messages: [.user("hi")], maxTokens: 10)
        _ = try await gateway.respond(to: request, context: GatewayContext(caller: Self.caller, route: "m"))
        var text = ""
        for try await event in try await gateway.stream(request, context: GatewayContext(caller: Self.caller, route: "m")) {
            if case .textDelta(_, let delta) = event { text += delta }
        }
        #expect(text == "two")
        await #expect(throws: ModelError.self) { _ = try await gateway.respond(to: request, context: GatewayContext(caller: Self.caller, route: "m")) }
        // Two answers of 100 tokens in and 10 out at $1 and $2 per million: 120 micro-dollars each; the failure cost nothing.
        #expect(try await budgets.spent("key:k1", at: Date()) == 240)
        #expect(try await budgets.spent("team:drivers", at: Date()) == 240)
    }

    @Test("the worst case: every input byte a token plus allowances, max_tokens out, at the dearest target")
    func worstCase() {
        let request = ModelRequest(model: "m", system: "be brief", messages: [.user("hello")], maxTokens: 100)
        let tokens = WorstCase.tokens(request)
        #expect(tokens.input == 45 && tokens.output == 100)  // 16 + "be brief" + 16 + "hello"
        let cheap = ModelPrice(input: 1, output: 2), dear = ModelPrice(input: 3, output: 15, cacheWrite: 3.75)
        let expected: Double = (45 * 3.75 + 100 * 15) / 1_000_000
        #expect(abs(WorstCase.cost(request, prices: [cheap, nil, dear]) - expected) < 1e-12)
        #expect(WorstCase.tokens(ModelRequest(model: "m", messages: [.user("x")])).output == WorstCase.unboundedOutputTokens)
        #expect(WorstCase.cost(request, prices: [nil]) == 0)
    }
}
