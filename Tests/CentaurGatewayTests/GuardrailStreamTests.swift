import CentaurCore
import CentaurGuardrails
import Foundation
import Testing

@testable import CentaurGateway

/// The streaming guards check each chunk once (with a short overlap), never the whole answer again.
@Suite("Guardrails on a stream")
struct GuardrailStreamTests {
    static func stream(_ chunks: [String]) -> GatewayHandler {
        { _, _ in
            AsyncThrowingStream { continuation in
                continuation.yield(.start(id: "s", model: "m"))
                for chunk in chunks { continuation.yield(.textDelta(index: 0, text: chunk)) }
                continuation.yield(.finish(stopReason: .endTurn))
                continuation.finish()
            }
        }
    }

    /// The text that reached the client, and the error that stopped the stream (if any).
    static func run(_ settings: GuardrailSettings, _ chunks: [String], input: String = "Hi") async -> (String, ModelError?) {
        let middleware = GuardrailMiddleware(settings: settings)
        var text = ""
        do {
            let events = try await middleware.handle(ModelRequest(model: "m", messages: [.user(input)]), context: GatewayContext(route: "m"), next: stream(chunks))
            for try await event in events { if case .textDelta(_, let chunk) = event { text += chunk } }
            return (text, nil)
        } catch {
            return (text, error as? ModelError)
        }
    }

    @Test("a denied term split across chunks stops the stream before the chunk that completes it")
    func splitDeniedTerm() async {
        var settings = GuardrailSettings()
        settings.deny = ["Internal Codename"]
        let (text, error) = await Self.run(settings, ["Our inter", "nal code", "name is X", " and more"])
        #expect(error?.kind == .guardrail)
        #expect(text == "Our internal code", "the chunk that completes the term never reaches the client")
        let (clean, none) = await Self.run(settings, ["Our inter", "nal docs ", "are public"])
        #expect(none == nil && clean == "Our internal docs are public")
    }

    @Test("the answer's length is counted chunk by chunk, in characters")
    func outputLength() async {
        var settings = GuardrailSettings()
        settings.maxOutputCharacters = 10
        let (text, error) = await Self.run(settings, ["ééééé", "ééééé", "é"])
        #expect(error?.kind == .guardrail && text == "éééééééééé")
        let (fits, none) = await Self.run(settings, ["ééééé", "ééééé"])
        #expect(none == nil && fits.count == 10)
    }

    @Test("by default a request's text is bounded (one million characters) and a larger one is refused before the model")
    func defaultInputBound() async {
        #expect(GuardrailSettings().maxInputCharacters == 1_000_000)
        let (_, refused) = await Self.run(GuardrailSettings(), ["never"], input: String(repeating: "word ", count: 200_001))
        #expect(refused?.kind == .guardrail && refused?.message.contains("limit is 1000000") == true)
        let (text, none) = await Self.run(GuardrailSettings(), ["fine"], input: String(repeating: "word ", count: 199_000))
        #expect(none == nil && text == "fine")
    }

    @Test("personal data in a streamed answer that the request did not hold is flagged at the end")
    func leakAtTheEnd() async {
        var settings = GuardrailSettings()
        settings.piiLeak = .block
        let (_, leak) = await Self.run(settings, ["Call Jane Roe at ", "312-555-0183."])
        #expect(leak?.kind == .guardrail && leak?.message.contains("PHONE_NUMBER") == true)
        let (_, none) = await Self.run(settings, ["Call Jane Roe at ", "312-555-0183."], input: "Jane Roe's number is 312-555-0183")
        #expect(none == nil)
    }
}

@Suite("CPU work")
struct CPUWorkTests {
    @Test("large work runs off the caller's thread, small work inline, and both return their result")
    func offload() async throws {
        let small = await CPUWork.run(size: 10) { CPUWork.isWorkThread }
        let large = await CPUWork.run(size: CPUWork.inlineLimit) { CPUWork.isWorkThread }
        #expect(small == false && large == true)
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await CPUWork.run(size: 1 << 20) { () throws -> Int in throw Failure() } }
        let sums = await withTaskGroup(of: Int.self) { group in
            for n in 1...8 { group.addTask { await CPUWork.run(size: 1 << 20) { (1...n * 1000).reduce(0, +) } } }
            return await group.reduce(0, +)
        }
        #expect(sums == (1...8).map { n in (n * 1000) * (n * 1000 + 1) / 2 }.reduce(0, +))
    }
}
