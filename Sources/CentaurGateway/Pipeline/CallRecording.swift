import CentaurCore
import Foundation

/// One finished request as the gateway saw it: who, what, every attempt, and how it ended.
public struct CompletedCall: Sendable {
    public var requestID: String
    public var caller: CallerIdentity?
    public var route: String
    public var surface: Surface
    public var tags: [String: String]
    public var startedAt: Date
    public var endedAt: Date
    public var request: ModelRequest
    /// The answer, when there was one.
    public var response: ModelResponse?
    /// How it failed, when it did.
    public var error: ModelError?
    public var attempts: [Attempt]

    /// The cost of every attempt.
    public var totalCostUSD: Double { attempts.compactMap(\.costUSD).reduce(0, +) }
}

/// Receives finished calls. Implementations must not block; one may wait for its own durable write (the traces do,
/// unless `traces.durable: false`), which holds back the end of the answer until the call is recorded, and throws
/// when it cannot record it: a successful answer is then withheld (503) rather than given unrecorded.
public protocol CallRecorder: Sendable {
    func record(_ call: CompletedCall) async throws
}

/// Records every call once its answer has ended (or failed), without delaying the answer's events: a streamed
/// answer's last event, or a whole answer, reaches the client once the recorder has it.
public struct RecordingMiddleware: GatewayMiddleware {
    public let recorder: any CallRecorder
    private let now: @Sendable () -> Date

    public init(recorder: any CallRecorder, now: @escaping @Sendable () -> Date = { Date() }) {
        self.recorder = recorder
        self.now = now
    }

    public func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream {
        let startedAt = now()
        let clock = ContinuousClock()
        let started = clock.now
        let finish: @Sendable (ModelResponse?, ModelError?) async throws -> Void = { [self] response, error in
            try await recordCall(request, context: context, startedAt: startedAt, response: response, error: error)
        }
        let upstream: ModelStream
        do {
            upstream = try await next(request, context)
        } catch {
            try? await finish(nil, Self.modelError(error))
            throw error
        }
        return .producing { continuation in
            var accumulator = ModelResponseAccumulator()
            var firstToken: Duration?
            do {
                for try await event in upstream {
                    if firstToken == nil, case .textDelta = event { firstToken = clock.now - started }
                    accumulator.add(event)
                    continuation.yield(event)
                }
                try Task.checkCancellation()
            } catch {
                try? await finish(try? accumulator.response(latency: clock.now - started, timeToFirstToken: firstToken), Self.modelError(error))
                throw error
            }
            try await finish(try? accumulator.response(latency: clock.now - started, timeToFirstToken: firstToken), nil)
        }
    }

    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        let startedAt = now()
        do {
            let response = try await next(request, context)
            try await record(request, context: context, startedAt: startedAt, response: response, error: nil)
            return response
        } catch let unrecorded as UnrecordedCall {
            throw unrecorded.error
        } catch {
            try? await record(request, context: context, startedAt: startedAt, response: nil, error: Self.modelError(error))
            throw error
        }
    }

    /// A recorder's failure to record an answer, told apart from a failure of the call itself.
    private struct UnrecordedCall: Error { let error: any Error }

    private func record(_ request: ModelRequest, context: GatewayContext, startedAt: Date, response: ModelResponse?, error: ModelError?) async throws {
        do {
            try await recordCall(request, context: context, startedAt: startedAt, response: response, error: error)
        } catch {
            throw UnrecordedCall(error: error)
        }
    }

    private func recordCall(_ request: ModelRequest, context: GatewayContext, startedAt: Date, response: ModelResponse?, error: ModelError?) async throws {
        try await recorder.record(CompletedCall(
            requestID: context.requestID, caller: context.caller, route: context.route, surface: context.surface,
            tags: context.tags.merging(context.facts.tags) { _, fact in fact }, startedAt: startedAt, endedAt: now(), request: request, response: response,
            error: error, attempts: context.attempts.all))
    }

    static func modelError(_ error: any Error) -> ModelError {
        error as? ModelError
            ?? ModelError(kind: .connection, message: error is CancellationError ? "the client went away" : "\(error)")
    }
}
