import Foundation

/// One event of a streamed answer, normalised across providers.
///
/// A stream starts with ``start(id:model:)``, then carries block events by index,
/// and ends with ``finish(stopReason:)``. ``usage(_:)`` may arrive more than once; later values
/// replace earlier non-zero fields (providers report input tokens first and output tokens last).
public enum ModelStreamEvent: Sendable, Hashable {
    case start(id: String?, model: String)
    case textDelta(index: Int, text: String)
    case toolUseStart(index: Int, id: String, name: String)
    /// A fragment of a tool call's input JSON; fragments concatenate to the whole input.
    case toolInputDelta(index: Int, partialJSON: String)
    case blockStop(index: Int)
    case usage(Usage)
    case finish(stopReason: StopReason)
}

/// A stream of ``ModelStreamEvent``s. Cancelling the consuming task cancels the upstream request.
public typealias ModelStream = AsyncThrowingStream<ModelStreamEvent, any Error>

/// Builds a ``ModelResponse`` from stream events; what `collect()` uses.
public struct ModelResponseAccumulator: Sendable {
    private var id: String?
    private var model: String
    private var blocks: [Int: Block] = [:]
    private var usage = Usage()
    private var stopReason: StopReason = .endTurn
    private var finished = false

    private enum Block: Sendable {
        case text(String)
        case tool(id: String, name: String, json: String)
    }

    public init(model: String = "") {
        self.model = model
    }

    /// Whether a ``ModelStreamEvent/finish(stopReason:)`` event was seen.
    public var isFinished: Bool { finished }

    public mutating func add(_ event: ModelStreamEvent) {
        switch event {
        case .start(let id, let model):
            self.id = id ?? self.id
            if !model.isEmpty { self.model = model }
        case .textDelta(let index, let text):
            if case .text(let existing) = blocks[index] {
                blocks[index] = .text(existing + text)
            } else {
                blocks[index] = .text(text)
            }
        case .toolUseStart(let index, let id, let name):
            blocks[index] = .tool(id: id, name: name, json: "")
        case .toolInputDelta(let index, let partial):
            if case .tool(let id, let name, let json) = blocks[index] {
                blocks[index] = .tool(id: id, name: name, json: json + partial)
            }
        case .blockStop:
            break
        case .usage(let new):
            usage.merge(new)
        case .finish(let reason):
            stopReason = reason
            finished = true
        }
    }

    /// The response so far. Tool inputs that are not valid JSON raise ``ModelError/malformedResponse(_:provider:)``.
    public func response(latency: Duration = .zero, timeToFirstToken: Duration? = nil) throws -> ModelResponse {
        var content: [ContentBlock] = []
        for index in blocks.keys.sorted() {
            switch blocks[index]! {
            case .text(let text):
                content.append(.text(text))
            case .tool(let id, let name, let json):
                let input: JSONValue
                if json.trimmingCharacters(in: .whitespaces).isEmpty {
                    input = .object([:])
                } else {
                    do { input = try JSONValue(parsing: json) } catch {
                        throw ModelError.malformedResponse("tool '\(name)' input is not JSON: \(json.prefix(200))", provider: nil)
                    }
                }
                content.append(.toolUse(ToolUse(id: id, name: name, input: input)))
            }
        }
        return ModelResponse(
            id: id, model: model, content: content, stopReason: stopReason, usage: usage,
            latency: latency, timeToFirstToken: timeToFirstToken)
    }
}

extension AsyncSequence where Element == ModelStreamEvent {
    /// Consumes the stream and returns the whole answer, with latency and time to first token measured here.
    /// `onEvent` sees each event as it arrives (to echo text while collecting). A stream that ends without its
    /// finish event throws ``ModelError/Kind/connection`` rather than returning a short answer.
    public func collect(
        clock: ContinuousClock = ContinuousClock(), onEvent: (ModelStreamEvent) throws -> Void = { _ in }
    ) async throws -> ModelResponse {
        let started = clock.now
        var accumulator = ModelResponseAccumulator()
        var firstToken: Duration?
        for try await event in self {
            if firstToken == nil {
                switch event {
                case .textDelta, .toolUseStart, .toolInputDelta: firstToken = clock.now - started
                default: break
                }
            }
            accumulator.add(event)
            try onEvent(event)
        }
        // A cancelled consumer sees the stream end early: that is not a whole answer.
        try Task.checkCancellation()
        guard accumulator.isFinished else {
            throw ModelError.connection("the answer ended before it was finished", provider: nil)
        }
        return try accumulator.response(latency: clock.now - started, timeToFirstToken: firstToken)
    }
}
