import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurProviders
import CentaurRetrieval
import Foundation

/// Turns the provider ids of a suite into providers:
/// - `openai:chat:MODEL` (`config.apiBaseUrl`, default `https://api.openai.com/v1`; `config.apiKey` or `OPENAI_API_KEY`),
/// - `anthropic:messages:MODEL` (`config.apiBaseUrl`, `config.apiKey` or `ANTHROPIC_API_KEY`),
/// - `centaur:NAME` (a model or route in centaur.yaml, through routing and the data-processing policy),
///   `centaur:extract` (the offline extractors), `centaur:retrieval:INDEX` (a retrieval index's ranking), `echo`.
public struct EvalProviderFactory: Sendable {
    public let registry: ModelRegistry?
    public let httpClient: HTTPClient
    public let environment: [String: String]
    /// `centaur:NAME` calls go through routing and the data-processing policy, as gateway requests do.
    let pipeline: GatewayModel?
    /// Where `centaur:retrieval:INDEX` finds its index when the provider's config names no `index_dir`: the
    /// deployment's own indexes (the shared database on PostgreSQL); nil: files in the data directory.
    public var retrievalLibrary: RetrievalLibrary?

    /// - Parameter pipeline: the gateway pipeline `centaur:NAME` calls go through (the runtime's, traced and
    ///   budgeted); by default routing, guards and the data policy over `registry`'s models, unrecorded.
    public init(registry: ModelRegistry?, pipeline: GatewayModel? = nil, httpClient: HTTPClient,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.registry = registry
        self.httpClient = httpClient
        self.environment = environment
        self.pipeline = pipeline ?? registry.map { GatewayModel(registry: $0, configuration: $0.configuration, surface: .evals) }
    }

    public func make(_ spec: EvalSuite.ProviderSpec) throws -> any EvalProvider {
        let id = spec.id
        let config = spec.config
        if id == "echo" { return EchoProvider() }
        if id == "centaur:extract" { return ExtractorProvider() }
        if id.hasPrefix("centaur:retrieval:") {
            return try RetrievalProvider(index: String(id.dropFirst("centaur:retrieval:".count)), config: config, environment: environment,
                                         library: retrievalLibrary)
        }
        if id.hasPrefix("openai:chat:") || id.hasPrefix("openai:") {
            let model = id.hasPrefix("openai:chat:") ? String(id.dropFirst("openai:chat:".count)) : String(id.dropFirst("openai:".count))
            let key = config["apiKey"]?.stringValue ?? environment["OPENAI_API_KEY"]
            let base = config["apiBaseUrl"]?.stringValue ?? environment["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1"
            guard key != nil || base.contains("127.0.0.1") || base.contains("localhost") else {
                throw EvalSuiteError("\(id): set OPENAI_API_KEY or config.apiKey")
            }
            let llm = try languageModel(model, provider: ProviderConfiguration(name: "openai", settings: .openai(.init(baseURL: base, apiKey: key))))
            return ModelProvider(model: llm, modelName: model, prices: registry?.prices ?? .builtIn,
                                 temperature: config["temperature"]?.doubleValue ?? 0, maxTokens: config["max_tokens"]?.intValue ?? 1024)
        }
        if id.hasPrefix("anthropic:messages:") {
            let model = String(id.dropFirst("anthropic:messages:".count))
            guard let key = config["apiKey"]?.stringValue ?? environment["ANTHROPIC_API_KEY"] else {
                throw EvalSuiteError("\(id): set ANTHROPIC_API_KEY or config.apiKey")
            }
            let base = config["apiBaseUrl"]?.stringValue ?? environment["ANTHROPIC_BASE_URL"] ?? "https://api.anthropic.com"
            let llm = try languageModel(model, provider: ProviderConfiguration(name: "anthropic", settings: .anthropic(.init(baseURL: base, apiKey: key))))
            return ModelProvider(model: llm, modelName: model, prices: registry?.prices ?? .builtIn,
                                 temperature: config["temperature"]?.doubleValue ?? 0, maxTokens: config["max_tokens"]?.intValue ?? 1024)
        }
        if id.hasPrefix("centaur:") {
            let alias = String(id.dropFirst("centaur:".count))
            guard let registry, let pipeline else { throw EvalSuiteError("\(id) needs a Centaur configuration") }
            guard registry.configuration.models.contains(where: { $0.name == alias }) || registry.configuration.routes.contains(where: { $0.name == alias }) else {
                throw EvalSuiteError("\(id): no model or route named '\(alias)' in \(registry.configuration.source)")
            }
            return ModelProvider(model: pipeline, modelName: alias, prices: registry.prices,
                                 temperature: config["temperature"]?.doubleValue ?? 0, maxTokens: config["max_tokens"]?.intValue ?? 1024)
        }
        throw EvalSuiteError("unknown provider '\(id)': use openai:chat:MODEL, anthropic:messages:MODEL, centaur:ALIAS, centaur:extract, centaur:retrieval:INDEX or echo")
    }

    /// A hosted model called directly (not through centaur.yaml), built by the gateway's one ``ProviderFactory``.
    private func languageModel(_ id: String, provider: ProviderConfiguration) throws -> any LanguageModel {
        do {
            return try ProviderFactory(httpClient: httpClient, environment: environment)
                .make(ModelConfiguration(name: id, provider: provider.name, id: id), provider: provider, configuration: nil)
        } catch let problem as ConfigurationProblem {
            throw EvalSuiteError("\(provider.name):\(id): \(problem)")
        }
    }
}
