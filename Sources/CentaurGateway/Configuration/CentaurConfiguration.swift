import CentaurCore
import Foundation

/// Centaur's configuration: providers, the models they serve, and the default model.
///
/// Loaded from `centaur.yaml` (see ``ConfigurationLoader``) or, with no file, ``embeddedDefault``:
/// the local llama.cpp model only.
public struct CentaurConfiguration: Sendable, Hashable {
    public var providers: [String: ProviderConfiguration]
    /// Models by name, in file order.
    public var models: [ModelConfiguration]
    public var defaultModel: String
    /// Where the configuration came from (a path, or `embedded default`).
    public var source: String
    /// Aliases served by ordered targets with fallbacks.
    public var routes: [Route] = []
    /// Retries, backoff and circuit breaking.
    public var routing = RoutingPolicy()
    /// What traces keep of requests and answers.
    public var capture: BodyCapture = .none
    /// The exact response cache (`cache:` in the file).
    public var cache = CacheSettings()
    /// Per-team budgets (`budgets: { teams: { NAME: { rpm, tpm, monthly_usd } } }`); keys carry their own.
    public var teamLimits: [String: Limits] = [:]
    /// Input and output guards (`guardrails:` in the file).
    public var guardrails = GuardrailSettings()

    public init(providers: [String: ProviderConfiguration], models: [ModelConfiguration], defaultModel: String, source: String) {
        self.providers = providers
        self.models = models
        self.defaultModel = defaultModel
        self.source = source
    }

    public func model(named name: String) -> ModelConfiguration? {
        models.first { $0.name == name }
    }

    /// The configuration used when no `centaur.yaml` exists: the embedded local model.
    public static let embeddedDefaultYAML = """
        providers:
          local: { kind: local }
        models:
          small: { provider: local, id: qwen2.5-coder-0.5b-instruct, price: { input: 0, output: 0 } }
        default_model: small
        """

    public static var embeddedDefault: CentaurConfiguration {
        // The embedded text is a constant checked by tests; it always parses.
        try! ConfigurationLoader(environment: [:]).parse(embeddedDefaultYAML, source: "embedded default")
    }
}

/// One upstream: where and how to reach it.
public struct ProviderConfiguration: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case anthropic, bedrock, openai, local, replay
    }

    public var name: String
    public var kind: Kind
    public var baseURL: String?
    public var apiKey: String?
    /// Bedrock: the AWS region; falls back to the AWS environment and config file.
    public var region: String?
    /// Bedrock: a custom endpoint URL.
    public var endpoint: String?
    /// OpenAI-compatible dialect: `openai`, `azure`, `compatible` (vLLM, Ollama…), `llama_cpp`.
    public var flavor: String?
    /// Azure: the deployment name and API version.
    public var deployment: String?
    public var apiVersion: String?
    /// Local: where `scripts/setup-local-model` installed the runtime and model (default `.centaur`).
    public var home: String?
    /// Local: a fixed port (default: a free one).
    public var port: Int?
    /// Replay: the cassette file and mode (`replay` or `record`), and the model recorded from.
    public var cassette: String?
    public var mode: String?
    public var recordFrom: String?
    /// The most seconds to wait for an answer to start.
    public var timeoutSeconds: Double?
    /// Which personal data this provider may receive (`pii:` in the file); nil: the kind's default.
    public var pii: PIIPolicy?
    /// `${VAR}`s this provider's settings name that are not set, with the key that names each.
    public var missingEnvironment: [String]
    /// The line of the provider's entry in the file.
    public var line: Int?

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
        self.missingEnvironment = []
    }
}

/// One model name that callers use, mapped to a provider and an upstream id.
public struct ModelConfiguration: Sendable, Hashable {
    public var name: String
    public var provider: String
    /// The upstream model id (or Bedrock inference-profile id).
    public var id: String
    /// Overrides the built-in price for this model.
    public var price: ModelPrice?
    /// Overrides the provider's `pii` policy for this model.
    public var pii: PIIPolicy?
    public var line: Int?

    public init(name: String, provider: String, id: String, price: ModelPrice? = nil, line: Int? = nil) {
        self.name = name
        self.provider = provider
        self.id = id
        self.price = price
        self.line = line
    }
}

/// Which types of personal data a provider or model may receive; everything else is replaced by
/// placeholders before a request leaves Centaur (and put back into the answer).
public enum PIIPolicy: Sendable, Hashable {
    /// Every type (a model in your own account or on this machine).
    case all
    /// No type: every finding is redacted (a third-party API with no data agreement).
    case none
    /// Only these Presidio type names.
    case only(Set<String>)

    /// The default: the local model and replay cassettes may see everything; hosted APIs nothing.
    public static func defaultPolicy(for kind: ProviderConfiguration.Kind) -> PIIPolicy {
        switch kind {
        case .local, .replay: .all
        case .anthropic, .bedrock, .openai: .none
        }
    }
}

/// `cache: { enabled: true, ttl_s: 3600, capacity: 10000 }`.
public struct CacheSettings: Sendable, Hashable {
    public var enabled = true
    public var ttlSeconds: Double = 3600
    /// Entries kept in memory in front of the store.
    public var capacity = 10_000

    public init() {}
}
