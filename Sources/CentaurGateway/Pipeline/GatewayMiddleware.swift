import CentaurCore

/// The next step of the pipeline.
public typealias GatewayHandler = @Sendable (ModelRequest, GatewayContext) async throws -> ModelStream

/// The next step of the pipeline, for answers that are not streamed.
public typealias GatewayResponder = @Sendable (ModelRequest, GatewayContext) async throws -> ModelResponse

/// One step of the request pipeline: guardrails, cache, tracing and so on, composed in order.
/// Each middleware may change the request, answer itself, or call `next` and wrap its stream.
/// `respond` is the non-streaming path; its default runs `handle` over the answer replayed as a stream,
/// so a middleware need implement it only to avoid that cost.
public protocol GatewayMiddleware: Sendable {
    func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream
    func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse
}

extension GatewayMiddleware {
    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        try await handle(request, context: context) { request, context in
            .replaying(try await next(request, context))
        }.collect()
    }
}

/// The pipeline: middleware in order, ending in a terminal handler (the router).
public struct Gateway: Sendable {
    private let handler: GatewayHandler
    private let responder: GatewayResponder

    /// - Parameters:
    ///   - middleware: outermost first.
    ///   - terminal: answers the request, usually ``ModelRouter/handle(_:context:)``.
    ///   - terminalResponder: answers without streaming, usually ``ModelRouter/respond(_:context:)``; by default
    ///     `terminal`'s stream, collected.
    public init(middleware: [any GatewayMiddleware], terminal: @escaping GatewayHandler, terminalResponder: GatewayResponder? = nil) {
        var handler = terminal
        var responder: GatewayResponder = terminalResponder ?? { request, context in try await terminal(request, context).collect() }
        for step in middleware.reversed() {
            let next = handler
            handler = { request, context in try await step.handle(request, context: context, next: next) }
            let nextResponder = responder
            responder = { request, context in try await step.respond(request, context: context, next: nextResponder) }
        }
        self.handler = handler
        self.responder = responder
    }

    /// Runs a request through the pipeline and streams the answer.
    public func stream(_ request: ModelRequest, context: GatewayContext) async throws -> ModelStream {
        try await handler(request, context)
    }

    /// Runs a request through the pipeline without streaming and returns the whole answer.
    public func respond(to request: ModelRequest, context: GatewayContext) async throws -> ModelResponse {
        var context = context
        context.streaming = false
        return try await responder(request, context)
    }
}
