import CentaurCore

/// When a request asks for JSON matching a schema and the answer does not match, asks once more, quoting the
/// violations; a second miss is a ``ModelError/Kind/guardrail`` error. It calls the rest of the pipeline twice,
/// so it is a step of its own, after the guards (which then check the repaired answer).
///
/// Streamed answers pass through unrepaired: their tokens have reached the client before the answer can be
/// checked. Clients that need a valid answer either do not stream or validate it themselves (docs/guardrails.md).
public struct SchemaRepairMiddleware: GatewayMiddleware {
    public init() {}

    public func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream {
        try await next(request, context)
    }

    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        let response = try await next(request, context)
        guard context.schemaRepair, let schemaValue = request.responseFormat.schema else { return response }
        let schema = JSONSchema(schemaValue)
        let violations = Self.violations(of: response, schema: schema)
        guard !violations.isEmpty else { return response }
        context.facts.schemaRepaired()
        var repair = request
        repair.messages.append(Message(role: .assistant, content: [.text(response.structuredText)]))
        repair.messages.append(.user("Your answer does not match the required JSON Schema:\n"
            + violations.prefix(20).map { "- \($0)" }.joined(separator: "\n") + "\nReply with the corrected JSON only."))
        let repaired = try await next(repair, context)
        let remaining = Self.violations(of: repaired, schema: schema)
        guard remaining.isEmpty else {
            throw ModelError(kind: .guardrail, message: "the answer does not match the JSON Schema after one repair: \(remaining.prefix(3).joined(separator: "; "))")
        }
        return repaired
    }

    static func violations(of response: ModelResponse, schema: JSONSchema) -> [String] {
        guard let value = try? response.structuredOutput() else { return ["the answer is not JSON"] }
        return schema.validate(value).map(\.description)
    }
}

extension ModelResponse {
    /// The text a structured answer was given in (a forced tool's input, else the text).
    var structuredText: String { toolUses.first.map { $0.input.jsonString() } ?? text }
}
