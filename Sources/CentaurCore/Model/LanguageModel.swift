import Foundation

/// Something that answers ``ModelRequest``s: a provider's model, a replay cassette, a scripted test double.
///
/// Values are cheap to copy; the HTTP client and connection pool behind them are shared.
public protocol LanguageModel: Sendable {
    /// The provider's name for logs and traces (`anthropic`, `bedrock`, `openai`, `local`, `replay`).
    var provider: String { get }

    /// What the model can take and give (images, PDFs, tools, JSON Schema, usage while streaming).
    var capabilities: ModelCapabilities { get }

    /// Sends the request and waits for the whole answer.
    func respond(to request: ModelRequest) async throws -> ModelResponse

    /// Sends the request and streams the answer. Errors arrive as ``ModelError``s thrown by the stream.
    func stream(_ request: ModelRequest) -> ModelStream
}

extension LanguageModel {
    /// Default for test doubles and wrappers: text, tools and JSON Schema; providers declare their own.
    public var capabilities: ModelCapabilities { [.tools, .jsonSchema, .usageWhileStreaming] }

    /// Default: streams and collects. Providers with a cheaper non-streaming call override it.
    public func respond(to request: ModelRequest) async throws -> ModelResponse {
        try await stream(request).collect()
    }
}

extension ModelStream {
    /// A stream that replays a finished response as events; for providers and doubles without native streaming.
    public static func replaying(_ response: ModelResponse) -> ModelStream {
        ModelStream { continuation in
            for event in response.streamEvents { continuation.yield(event) }
            continuation.finish()
        }
    }

    /// A stream produced by an async closure running in a child task; cancelling the consumer cancels the task.
    public static func producing(
        _ body: @escaping @Sendable (ModelStream.Continuation) async throws -> Void
    ) -> ModelStream {
        ModelStream { continuation in
            let task = Task {
                do {
                    try await body(continuation)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension ModelResponse {
    /// This response as the events a stream of it would carry.
    public var streamEvents: [ModelStreamEvent] {
        var events: [ModelStreamEvent] = [.start(id: id, model: model)]
        for (index, block) in content.enumerated() {
            switch block {
            case .text(let text):
                events.append(.textDelta(index: index, text: text))
            case .toolUse(let toolUse):
                events.append(.toolUseStart(index: index, id: toolUse.id, name: toolUse.name))
                events.append(.toolInputDelta(index: index, partialJSON: toolUse.input.jsonString()))
            default:
                continue
            }
            events.append(.blockStop(index: index))
        }
        events.append(.usage(usage))
        events.append(.finish(stopReason: stopReason))
        return events
    }
}
