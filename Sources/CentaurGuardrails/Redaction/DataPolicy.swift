/// Which personal data a model may receive (`pii:` on a model or provider in centaur.yaml).
public enum PIIPolicy: Sendable, Hashable {
    /// Every type (a model in your own account or on this machine).
    case all
    /// No type: every finding is redacted (a third-party API with no data agreement).
    case none
    /// Only these Presidio type names.
    case only(Set<String>)

    /// The types the policy allows.
    public var allowed: Set<PIIType> {
        switch self {
        case .all: Set(PIIType.allCases)
        case .none: []
        case .only(let names): Set(names.compactMap(PIIType.init(rawValue:)))
        }
    }
}

/// Which personal data each configured model and route may receive. The gateway's `DataPolicyMiddleware`
/// enforces it; `DataPolicy(configuration:)` (in CentaurGateway) builds it from centaur.yaml.
public struct DataPolicy: Sendable {
    private let allowedByModel: [String: Set<PIIType>]
    /// Every model's and route's answer, worked out once (it is asked on every request).
    private let allowedByName: [String: Set<PIIType>]

    /// - Parameters:
    ///   - models: each model's policy, by model name.
    ///   - routes: each route's target model names, by route name (no route has a model's name).
    public init(models: [String: PIIPolicy], routes: [String: [String]]) {
        let allowed = models.mapValues(\.allowed)
        allowedByModel = allowed
        var byName = allowed
        // A route gets what every one of its targets may receive.
        for (route, targets) in routes {
            byName[route] = targets.map { allowed[$0] ?? [] }.reduce(Set(PIIType.allCases)) { $0.intersection($1) }
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
