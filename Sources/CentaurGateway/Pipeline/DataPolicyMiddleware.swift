import CentaurCore
import CentaurGuardrails
import Foundation

/// Which personal data each configured model may receive, from `pii:` on models and providers.
public struct DataPolicy: Sendable {
    private let allowedByModel: [String: Set<PIIType>]
    /// Every configured model's and route's answer, worked out once (it is asked on every request).
    private let allowedByName: [String: Set<PIIType>]

    public init(configuration: CentaurConfiguration) {
        var allowed: [String: Set<PIIType>] = [:]
        for model in configuration.models {
            guard let provider = configuration.providers[model.provider] else { continue }
            let policy = model.pii ?? provider.pii ?? PIIPolicy.defaultPolicy(for: provider.kind)
            switch policy {
            case .all: allowed[model.name] = Set(PIIType.allCases)
            case .none: allowed[model.name] = []
            case .only(let names): allowed[model.name] = Set(names.compactMap(PIIType.init(rawValue:)))
            }
        }
        allowedByModel = allowed
        var byName = allowed
        // A route gets what every one of its targets may receive (the configuration loader has checked that the
        // targets are models and that no route has a model's name).
        for route in configuration.routes {
            byName[route.name] = route.targets.map { allowed[$0.model] ?? [] }.reduce(Set(PIIType.allCases)) { $0.intersection($1) }
        }
        allowedByName = byName
    }

    /// The types every target a request may reach is allowed to receive (a route's fallbacks included), so a
    /// fallback to a less trusted provider never sees more than it may. Unknown names get nothing.
    public func allowed(for name: String) -> Set<PIIType> {
        allowedByName[name] ?? []
    }

    /// Whether some model restricts anything (when none does the middleware is not needed).
    public var restrictsAny: Bool { allowedByModel.values.contains { $0.count < PIIType.allCases.count } }
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
