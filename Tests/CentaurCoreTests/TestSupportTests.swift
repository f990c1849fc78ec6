import CentaurCore
import CentaurTestSupport
import Testing

struct ManualClockTests {
    @Test func sleepersWakeOnlyWhenTimeIsAdvancedPastTheirDeadline() async throws {
        let clock = ManualClock()
        let task = Task { try await clock.sleep(for: .seconds(5)) }
        await clock.waitForSleepers(count: 1)
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await task.value
        #expect(clock.sleeperCount == 0)
    }

    @Test func cancellingASleeperEndsItsSleep() async {
        let clock = ManualClock()
        let task = Task { try await clock.sleep(for: .seconds(5)) }
        await clock.waitForSleepers(count: 1)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}

struct ScriptedModelTests {
    @Test func stepsPlayInOrderAndTheLastRepeats() async throws {
        let model = ScriptedModel(steps: [
            .fail(.rateLimited(retryAfter: .seconds(1), provider: "scripted")),
            .compute { request in ModelResponse(model: "s", content: [.text("echo: \(request.messages[0].text)")], stopReason: .endTurn, usage: .zero) },
        ])
        await #expect { try await model.respond(to: ModelRequest(model: "s", messages: [.user("a")])) } throws: {
            ($0 as? ModelError)?.kind == .rateLimited
        }
        let second = try await model.respond(to: ModelRequest(model: "s", messages: [.user("b")]))
        let third = try await model.stream(ModelRequest(model: "s", messages: [.user("c")])).collect()
        #expect(second.text == "echo: b")
        #expect(third.text == "echo: c")
        #expect(model.requests.count == 3)
    }
}
