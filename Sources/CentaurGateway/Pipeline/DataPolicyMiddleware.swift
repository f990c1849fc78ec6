import CentaurConfiguration
import CentaurCore
import CentaurGuardrails
import Foundation

extension DataPolicy {
    /// The policy of every configured model (its own `pii:`, its provider's, or the provider kind's default) and
    /// route (what all of its targets may receive; the configuration loader has checked the targets are models).
    public init(configuration: CentaurConfiguration) {
        var models: [String: PIIPolicy] = [:]
        for model in configuration.models {
            guard let provider = configuration.providers[model.provider] else { continue }
            models[model.name] = model.pii ?? provider.pii ?? PIIPolicy.defaultPolicy(for: provider.kind)
        }
        self.init(models: models, routes: Dictionary(configuration.routes.map { ($0.name, $0.targets.map(\.model)) }, uniquingKeysWith: { first, _ in first }))
    }
}

/// Enforces the data-processing policy on every request: personal data the destination may not receive is
/// replaced by numbered placeholders (`<PERSON_1>`) before the request goes on, and the answer — streamed or
/// not, text and tool-call arguments — gets the original values back. The mapping never leaves this process.
/// The trace records the types and counts redacted (`pii_redacted: PERSON:2,US_SSN:1`), never the values.
public struct DataPolicyMiddleware: GatewayMiddleware {
    public let policy: DataPolicy
    public let detector: PIIDetector

    public init(policy: DataPolicy, detector: PIIDetector = PIIDetector()) {
        self.policy = policy
        self.detector = detector
    }

    func prepare(_ request: ModelRequest, context: GatewayContext) async -> (ModelRequest, TokenVault)? {
        let allowed = policy.allowed(for: request.model)
        guard allowed.count < PIIType.allCases.count else { return nil }
        let vault = TokenVault()
        let redactor = Redactor(detector: detector, mode: .tokenize, allowed: allowed)
        // A large request is scanned off the cooperative threads (see ``CPUWork``).
        let (redacted, counts) = await CPUWork.run(size: request.approximateTextSize) { redactor.redact(request, vault: vault) }
        guard !counts.isEmpty else { return nil }
        context.facts.redacted(counts.summary)
        return (redacted, vault)
    }

    public func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream {
        guard let (redacted, vault) = await prepare(request, context: context) else { return try await next(request, context) }
        let upstream = try await next(redacted, context)
        return .producing { continuation in
            var restorer = StreamEventRestorer(vault: vault)
            for try await event in upstream {
                for restored in restorer.restore(event) { continuation.yield(restored) }
            }
        }
    }

    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        guard let (redacted, vault) = await prepare(request, context: context) else { return try await next(request, context) }
        return vault.restore(try await next(redacted, context))
    }
}
