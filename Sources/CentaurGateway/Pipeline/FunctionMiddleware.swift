import CentaurConfiguration
import CentaurCore
import Foundation

/// Calls to a function (a model name under `functions:`) go to the variant chosen for their subject: the request's
/// model becomes the variant's model or route (and its system prompt, when the variant has one), and the trace is
/// tagged `function`, `variant` and `variant_subject` (where the subject came from: `user`, `header`, `key` or
/// `request`; this step writes no copy of the subject: a request's own `user` is a trace tag as on any call, the
/// header's value is not recorded). The subject is OpenAI's `user` or Anthropic's `metadata.user_id`, else the
/// `x-centaur-subject` header, else the calling key; a call with none of them is its own subject (its request id),
/// so it is assigned at random in proportion to the weights.
///
/// It runs first, before the trace is recorded, so budgets, caches and the router all see the variant's model.
public struct FunctionMiddleware: GatewayMiddleware {
    public let functions: [String: FunctionConfiguration]

    public init(functions: [String: FunctionConfiguration]) { self.functions = functions }

    /// The request as the chosen variant sends it, and the context tagged with the choice; unchanged for a model name
    /// that is no function.
    public func assign(_ request: ModelRequest, context: GatewayContext) -> (ModelRequest, GatewayContext) {
        guard let function = functions[request.model] else { return (request, context) }
        let (subject, source): (String, String) =
            if let user = request.metadata["user"], !user.isEmpty { (user, "user") }
            else if let header = context.subject, !header.isEmpty { (header, "header") }
            else if let key = context.caller?.keyID { (key, "key") }
            else { (context.requestID, "request") }
        let variant = function.variant(for: subject)
        var request = request, context = context
        request.model = variant.model
        if let system = variant.system { request.system = system }
        context.tags["function"] = function.name
        context.tags["variant"] = variant.name
        context.tags["variant_subject"] = source
        return (request, context)
    }

    public func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream {
        let (request, context) = assign(request, context: context)
        return try await next(request, context)
    }

    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        let (request, context) = assign(request, context: context)
        return try await next(request, context)
    }
}
