import CentaurCore
import CentaurGuardrails
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
    /// How many days traces are kept (`traces.retention_days`); nil keeps them all.
    public var traceRetentionDays: Int?
    /// Whether an answer waits until its trace is stored (`traces.durable`, default true): a process killed outright
    /// then loses no trace of an answer it gave. False answers at once and writes the trace just after.
    public var tracesDurable = true
    /// The exact response cache (`cache:` in the file).
    public var cache = CacheSettings()
    /// Per-team budgets (`budgets: { teams: { NAME: { rpm, tpm, monthly_usd } } }`); keys carry their own.
    public var teamLimits: [String: Limits] = [:]
    /// What a request that needs a budget decision gets when the budget store is down (`budgets.when_store_down`).
    public var budgetsWhenStoreDown: BudgetFailureMode = .refuse
    /// Input and output guards (`guardrails:` in the file).
    public var guardrails = GuardrailSettings()
    /// Where the records live (`database:` in the file): `sqlite:PATH` or `postgres://USER@HOST:PORT/DB`; nil is
    /// the embedded default under the data directory. `--database` and `CENTAUR_DATABASE_URL` take precedence.
    public var database: String?
    /// Embedding models by name (`embeddings:` in the file), served on `POST /v1/embeddings`. The native
    /// all-MiniLM-L6-v2 is always there as `all-minilm-l6-v2` unless an entry takes that name.
    public var embeddingModels: [EmbeddingModelConfiguration] = []
    /// Functions by name (`functions:` in the file): weighted variants, sticky per subject.
    public var functions: [String: FunctionConfiguration] = [:]

    /// The embedding model called `name`: a configured one, or the built-in native MiniLM.
    public func embeddingModel(named name: String) -> EmbeddingModelConfiguration? {
        embeddingModels.first { $0.name == name } ?? (name == EmbeddingModelConfiguration.nativeMiniLM.name ? .nativeMiniLM : nil)
    }

    /// Every embedding model a client may name, configured ones first.
    public var allEmbeddingModels: [EmbeddingModelConfiguration] {
        embeddingModels + (embeddingModels.contains { $0.name == EmbeddingModelConfiguration.nativeMiniLM.name } ? [] : [.nativeMiniLM])
    }

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
    /// What this kind of provider needs, checked by the loader.
    public var settings: ProviderSettings
    public var kind: Kind { settings.kind }
    /// The most seconds to wait for an answer to start.
    public var timeoutSeconds: Double?
    /// Which personal data this provider may receive (`pii:` in the file); nil: the kind's default.
    public var pii: PIIPolicy?
    /// `${VAR}`s this provider's settings name that are not set, with the key that names each.
    public var missingEnvironment: [String]
    /// The line of the provider's entry in the file.
    public var line: Int?

    public init(name: String, settings: ProviderSettings) {
        self.name = name
        self.settings = settings
        self.missingEnvironment = []
    }
}

/// The settings of each kind of provider (`kind:` in centaur.yaml): only what that kind reads, with what it
/// cannot do without required, so a loaded configuration needs no further checks.
public enum ProviderSettings: Sendable, Hashable {
    case anthropic(Anthropic)
    case bedrock(Bedrock)
    case openai(OpenAI)
    case local(Local)
    case replay(Replay)

    public var kind: ProviderConfiguration.Kind {
        switch self {
        case .anthropic: .anthropic
        case .bedrock: .bedrock
        case .openai: .openai
        case .local: .local
        case .replay: .replay
        }
    }

    /// The Anthropic Messages API.
    public struct Anthropic: Sendable, Hashable {
        /// Default `https://api.anthropic.com`.
        public var baseURL: String?
        /// Default: `ANTHROPIC_API_KEY`.
        public var apiKey: String?

        public init(baseURL: String? = nil, apiKey: String? = nil) {
            self.baseURL = baseURL
            self.apiKey = apiKey
        }
    }

    /// AWS Bedrock's Converse API, signed with SigV4.
    public struct Bedrock: Sendable, Hashable {
        /// The AWS region; falls back to the AWS environment and config file.
        public var region: String?
        /// A custom endpoint URL.
        public var endpoint: String?

        public init(region: String? = nil, endpoint: String? = nil) {
            self.region = region
            self.endpoint = endpoint
        }
    }

    /// An OpenAI-shaped chat completions server.
    public struct OpenAI: Sendable, Hashable {
        public enum Flavor: Sendable, Hashable {
            /// api.openai.com.
            case openai
            /// Azure OpenAI: a deployment and an API version.
            case azure(deployment: String, apiVersion: String)
            /// vLLM, Ollama and other compatible servers (text only).
            case compatible
            /// llama.cpp's server (JSON Schema as a grammar).
            case llamaCpp
        }

        public var baseURL: String
        public var apiKey: String?
        /// nil: OpenAI's own for an api.openai.com URL, else a compatible server that may read images.
        public var flavor: Flavor?

        public init(baseURL: String, apiKey: String? = nil, flavor: Flavor? = nil) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.flavor = flavor
        }
    }

    /// The local llama.cpp model, started and supervised by Centaur unless `baseURL` points at a running one.
    public struct Local: Sendable, Hashable {
        /// Where `scripts/setup-local-model` installed the runtime and model (default: `CentaurHome`).
        public var home: String?
        /// A fixed port (default: a free one).
        public var port: Int?
        /// A llama.cpp server that is already running.
        public var baseURL: String?

        public init(home: String? = nil, port: Int? = nil, baseURL: String? = nil) {
            self.home = home
            self.port = port
            self.baseURL = baseURL
        }
    }

    /// Recorded answers played back (or recorded from another model).
    public struct Replay: Sendable, Hashable {
        public enum Mode: Sendable, Hashable {
            case replay
            /// Record the answers of the named model (a configured model of another kind).
            case record(from: String)
        }

        /// The JSONL file of recordings.
        public var cassette: String
        public var mode: Mode

        public init(cassette: String, mode: Mode = .replay) {
            self.cassette = cassette
            self.mode = mode
        }
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

/// One embedding model (`embeddings: { NAME: { provider, id, price: { input }, dimensions, pii } }`). `provider` names a
/// configured provider (OpenAI-compatible `/v1/embeddings`, Bedrock Titan or Cohere), or `native`: the in-process
/// all-MiniLM-L6-v2 (`scripts/setup-embeddings` installs its weights).
public struct EmbeddingModelConfiguration: Sendable, Hashable {
    public var name: String
    /// A configured provider's name, or ``native``.
    public var provider: String
    public var id: String
    /// USD per million input tokens; nil: unknown (a native model is free).
    public var inputPrice: Double?
    /// Overrides the provider's `pii` policy.
    public var pii: PIIPolicy?
    /// The length of the vectors it returns, when known ahead.
    public var dimensions: Int?
    public var line: Int?

    /// The provider name of models run in this process.
    public static let native = "native"

    public static let nativeMiniLM = EmbeddingModelConfiguration(name: "all-minilm-l6-v2", provider: native, id: "all-minilm-l6-v2", inputPrice: 0, dimensions: 384)

    public init(name: String, provider: String, id: String, inputPrice: Double? = nil, pii: PIIPolicy? = nil, dimensions: Int? = nil, line: Int? = nil) {
        self.name = name; self.provider = provider; self.id = id; self.inputPrice = inputPrice
        self.pii = pii; self.dimensions = dimensions; self.line = line
    }

    public var isNative: Bool { provider == Self.native }
}

extension PIIPolicy {
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
    /// The semantic cache (`cache.semantic`), off unless routes opt in.
    public var semantic: SemanticCacheSettings?

    public init() {}
}

/// `cache: { semantic: { routes: [faq-bot], threshold: 0.95, embedding: all-minilm-l6-v2, ttl_s: 3600, capacity: 10000 } }`:
/// a request to one of `routes` may be answered with the answer to an earlier request whose last user message is
/// at least `threshold` similar (cosine of `embedding`'s vectors), when everything else about the two requests — the
/// tenant, the model, the system prompt, the earlier turns, the tools and the response schema — is the same.
public struct SemanticCacheSettings: Sendable, Hashable {
    public var routes: Set<String>
    public var threshold = 0.95
    public var embedding = EmbeddingModelConfiguration.nativeMiniLM.name
    public var ttlSeconds: Double = 3600
    /// Entries kept (in memory), all tenants together; the oldest go first.
    public var capacity = 10_000
    /// Whether a hit also needs the same numbers and quoted text in both messages (`match_literals`, default true):
    /// embeddings hardly tell "51 miles" from "56 miles".
    public var matchLiterals = true

    public init(routes: Set<String>) { self.routes = routes }
}
