import CentaurCore
import CentaurGuardrails
import Foundation

/// Runs the configured guards (``Guardrail``s, in order) on every request and answer: size limits and deny lists
/// refuse; prompt-injection and PII-leak checks flag (recorded as `guard_injection` / `guard_pii_leak` trace tags)
/// or refuse, as configured. A refusal is a ``ModelError/Kind/guardrail`` error, which the server answers in the
/// client's API shape. A streamed answer is inspected piece by piece, each piece once; a block stops the stream
/// before the piece that crossed the line reaches the client.
public struct GuardrailMiddleware: GatewayMiddleware {
    public let guards: [any Guardrail]

    public init(settings: GuardrailSettings, detector: PIIDetector = PIIDetector()) {
        self.init(guards: settings.guards(detector: detector))
    }

    public init(guards: [any Guardrail]) {
        self.guards = guards
    }

    /// Records a flag on the call, or throws a block.
    static func apply(_ verdicts: [GuardVerdict], context: GatewayContext) throws {
        for verdict in verdicts {
            switch verdict {
            case .pass: break
            case .flag(.injection(let rules)): context.facts.injectionSignals(rules)
            case .flag(.piiLeak(let summary)): context.facts.piiLeak(summary)
            case .block(let message): throw ModelError(kind: .guardrail, message: message)
            }
        }
    }

    /// Every guard's verdict on the request, up to the first block (off the cooperative threads when it is large).
    func checkInput(_ request: ModelRequest, context: GatewayContext) async throws -> GuardInput {
        let guards = guards
        let (input, verdicts) = await CPUWork.run(size: request.approximateTextSize) {
            let input = GuardInput(request)
            var verdicts: [GuardVerdict] = []
            for guardrail in guards {
                let verdict = guardrail.inspect(input)
                verdicts.append(verdict)
                if case .block = verdict { break }
            }
            return (input, verdicts)
        }
        try Self.apply(verdicts, context: context)
        return input
    }

    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        let input = try await checkInput(request, context: context)
        let response = try await next(request, context)
        let inspectors = guards.compactMap { $0.outputInspector(for: input) }
        guard !inspectors.isEmpty else { return response }
        let answer = response.text + response.toolUses.map { $0.input.jsonString() }.joined()
        let verdicts = await CPUWork.run(size: answer.utf8.count + input.text.utf8.count) {
            var verdicts: [GuardVerdict] = []
            for var inspector in inspectors {
                verdicts.append(inspector.inspect(answer))
                verdicts.append(inspector.finish())
            }
            return verdicts
        }
        try Self.apply(verdicts, context: context)
        return response
    }

    public func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream {
        let input = try await checkInput(request, context: context)
        let upstream = try await next(request, context)
        let inspectors = guards.compactMap { $0.outputInspector(for: input) }
        guard !inspectors.isEmpty else { return upstream }
        return .producing { continuation in
            var inspectors = inspectors
            var gathered = 0
            for try await event in upstream {
                let piece: String? =
                    switch event {
                    case .textDelta(_, let delta), .toolInputDelta(_, let delta): delta
                    default: nil
                    }
                if let piece, !piece.isEmpty {
                    gathered += piece.utf8.count
                    try Self.apply(inspectors.indices.map { inspectors[$0].inspect(piece) }, context: context)
                }
                if case .finish = event {
                    let finished = inspectors
                    let verdicts = await CPUWork.run(size: gathered + input.text.utf8.count) { finished.map { $0.finish() } }
                    try Self.apply(verdicts, context: context)
                }
                continuation.yield(event)
            }
        }
    }
}
