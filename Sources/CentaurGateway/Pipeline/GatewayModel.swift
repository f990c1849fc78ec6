import CentaurConfiguration
import CentaurCore
import Foundation

/// The gateway pipeline as a ``LanguageModel``: library callers (evals, the CLI) get routes, fallbacks and the
/// data-processing policy exactly as HTTP clients do.
public struct GatewayModel: LanguageModel {
    public let gateway: Gateway
    /// Which surface traces and notes record (`evals`, `cli`, `extraction`).
    public let surface: Surface
    /// Whether the guardrails repair answers that break a JSON Schema (off for callers that repair themselves).
    public var schemaRepair = true
    /// Who the calls are made for (an API key's identity: its budgets and its traces); nil for the process itself.
    public var caller: CallerIdentity?
    /// Tags every call's trace carries.
    public var tags: [String: String] = [:]

    public init(gateway: Gateway, surface: Surface, schemaRepair: Bool = true) {
        self.gateway = gateway
        self.surface = surface
        self.schemaRepair = schemaRepair
    }

    /// The pipeline over a registry's models without recording, budgets or cache: routing, the guards and the
    /// data-processing policy, in ``GatewayPipeline``'s order. (`CentaurRuntime` builds the whole pipeline.)
    public init(registry: ModelRegistry, configuration: CentaurConfiguration, surface: Surface) {
        let router = ModelRouter(registry: registry, routes: configuration.routes, policy: configuration.routing)
        self.init(gateway: GatewayPipeline.make(configuration: configuration, router: router, recorder: nil, budgets: nil, cacheStore: nil),
                  surface: surface)
    }

    public var provider: String { "centaur" }
    /// The pipeline routes each request to a configured model and refuses what that model cannot take (an image
    /// for a text-only model is an `invalidRequest`), so it offers everything.
    public var capabilities: ModelCapabilities { .all }

    public func respond(to request: ModelRequest) async throws -> ModelResponse {
        try await gateway.respond(to: request, context: context(for: request))
    }

    public func stream(_ request: ModelRequest) -> ModelStream {
        let gateway = gateway, context = context(for: request)
        return .producing { continuation in
            for try await event in try await gateway.stream(request, context: context) {
                continuation.yield(event)
            }
        }
    }

    private func context(for request: ModelRequest) -> GatewayContext {
        var context = GatewayContext(caller: caller, tags: tags, route: request.model, surface: surface)
        context.schemaRepair = schemaRepair
        return context
    }
}
