import CentaurCore

/// The next step of the pipeline.
public typealias GatewayHandler = @Sendable (ModelRequest, GatewayContext) async throws -> ModelStream

/// One step of the request pipeline: guardrails, cache, tracing and so on, composed in order.
/// Each middleware may change the request, answer itself, or call `next` and wrap its stream.
public protocol GatewayMiddleware: Sendable {
    func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream
}

/// The pipeline: middleware in order, ending in a terminal handler (the router).
public struct Gateway: Sendable {
    private let handler: GatewayHandler

    /// - Parameters:
    ///   - middleware: outermost first.
    ///   - terminal: answers the request, usually ``Router/handle(_:context:)``.
    public init(middleware: [any GatewayMiddleware], terminal: @escaping GatewayHandler) {
        var handler = terminal
        for step in middleware.reversed() {
            let next = handler
            handler = { request, context in try await step.handle(request, context: context, next: next) }
        }
        self.handler = handler
    }

    /// Runs a request through the pipeline and streams the answer.
    public func stream(_ request: ModelRequest, context: GatewayContext) async throws -> ModelStream {
        try await handler(request, context)
    }

    /// Runs a request through the pipeline and waits for the whole answer.
    public func respond(to request: ModelRequest, context: GatewayContext) async throws -> ModelResponse {
        try await handler(request, context).collect()
    }
}
