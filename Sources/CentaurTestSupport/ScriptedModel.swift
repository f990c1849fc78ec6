import CentaurCore
import Foundation
import Synchronization

/// A ``LanguageModel`` that answers from a script, for tests of code that calls models.
///
/// Each call takes the next step: a response, an error, or a closure computing a response from the request.
/// When the script runs out, the last step repeats. Every request is recorded.
public final class ScriptedModel: LanguageModel {
    public enum Step: Sendable {
        case respond(ModelResponse)
        case fail(ModelError)
        case compute(@Sendable (ModelRequest) throws -> ModelResponse)
    }

    public let provider: String
    private let state: Mutex<(steps: [Step], next: Int, requests: [ModelRequest])>

    public init(provider: String = "scripted", steps: [Step]) {
        precondition(!steps.isEmpty, "a scripted model needs at least one step")
        self.provider = provider
        self.state = Mutex((steps, 0, []))
    }

    /// A model that always answers `text`.
    public convenience init(answering text: String, usage: Usage = Usage(inputTokens: 10, outputTokens: 5)) {
        self.init(steps: [.respond(ModelResponse(model: "scripted", content: [.text(text)], stopReason: .endTurn, usage: usage))])
    }

    /// Requests received so far.
    public var requests: [ModelRequest] { state.withLock { $0.requests } }

    public func respond(to request: ModelRequest) async throws -> ModelResponse {
        let step = state.withLock { state -> Step in
            state.requests.append(request)
            let step = state.steps[min(state.next, state.steps.count - 1)]
            state.next += 1
            return step
        }
        switch step {
        case .respond(let response): return response
        case .fail(let error): throw error
        case .compute(let body): return try body(request)
        }
    }

    public func stream(_ request: ModelRequest) -> ModelStream {
        .producing { continuation in
            let response = try await self.respond(to: request)
            for event in response.streamEvents { continuation.yield(event) }
        }
    }
}
