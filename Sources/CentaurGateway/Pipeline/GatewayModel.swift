import CentaurCore
import Foundation

/// The gateway pipeline as a ``LanguageModel``: library callers (evals, the CLI) get routes, fallbacks and the
/// data-processing policy exactly as HTTP clients do.
public struct GatewayModel: LanguageModel {
    public let gateway: Gateway
    /// Which surface traces and notes record (`evals`, `cli`).
    public let surface: String

    public init(gateway: Gateway, surface: String) {
        self.gateway = gateway
        self.surface = surface
    }

    /// Routing and the data-processing policy over a registry's models (no tracing, budgets or cache).
    public init(registry: ModelRegistry, configuration: CentaurConfiguration, surface: String) {
        let router = Router(registry: registry, routes: configuration.routes, policy: configuration.routing)
        let policy = DataPolicy(configuration: configuration)
        let middleware: [any GatewayMiddleware] = policy.restrictsAny ? [DataPolicyMiddleware(policy: policy)] : []
        self.init(gateway: Gateway(middleware: middleware, terminal: router.handle, terminalResponder: router.respond), surface: surface)
    }

    public var provider: String { "centaur" }

    public func respond(to request: ModelRequest) async throws -> ModelResponse {
        try await gateway.respond(to: request, context: GatewayContext(route: request.model, surface: surface))
    }

    public func stream(_ request: ModelRequest) -> ModelStream {
        let gateway = gateway, surface = surface
        return .producing { continuation in
            for try await event in try await gateway.stream(request, context: GatewayContext(route: request.model, surface: surface)) {
                continuation.yield(event)
            }
        }
    }
}
