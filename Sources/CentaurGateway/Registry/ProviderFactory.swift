import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurProviders
import Foundation

/// Makes a ``LanguageModel`` from a model's and its provider's configuration: the one place that turns settings
/// into provider clients, for the registry (centaur.yaml) and for evals' `openai:chat:` and `anthropic:messages:`
/// providers alike.
public struct ProviderFactory: Sendable {
    let httpClient: HTTPClient
    let environment: [String: String]
    let localServers: [String: LocalModelServer]

    public init(httpClient: HTTPClient, environment: [String: String], localServers: [String: LocalModelServer] = [:]) {
        self.httpClient = httpClient
        self.environment = environment
        self.localServers = localServers
    }

    /// - Parameter configuration: where a recording replay provider finds the model it records from.
    public func make(_ model: ModelConfiguration, provider: ProviderConfiguration, configuration: CentaurConfiguration?) throws -> any LanguageModel {
        if let missing = provider.missingEnvironment.first {
            throw ConfigurationProblem("providers.\(provider.name): \(missing)")
        }
        let timeout = Duration.milliseconds(Int64((provider.timeoutSeconds ?? 120) * 1000))
        switch provider.settings {
        case .anthropic(let settings):
            guard let key = settings.apiKey ?? environment["ANTHROPIC_API_KEY"], !key.isEmpty else {
                throw ConfigurationProblem("providers.\(provider.name): no API key; set api_key: ${ANTHROPIC_API_KEY} and export ANTHROPIC_API_KEY")
            }
            return AnthropicModel(
                configuration: .init(baseURL: settings.baseURL ?? "https://api.anthropic.com", apiKey: key, modelID: model.id, timeout: timeout),
                httpClient: httpClient, provider: provider.name)
        case .bedrock(let settings):
            let chain = AWSCredentialChain(environment: environment)
            guard let region = settings.region ?? chain.region() else {
                throw ConfigurationProblem("providers.\(provider.name): no AWS region; set region: in the provider, or AWS_REGION")
            }
            let credentials = try chain.credentials()
            return BedrockModel(
                configuration: .init(region: region, endpoint: settings.endpoint, modelID: model.id, credentials: credentials, timeout: timeout),
                httpClient: httpClient, provider: provider.name)
        case .openai(let settings):
            let flavor: OpenAICompatibleModel.Flavor =
                switch settings.flavor {
                case .openai: .openai
                case .azure(let deployment, let apiVersion): .azure(deployment: deployment, apiVersion: apiVersion)
                case .llamaCpp: .llamaCpp
                case .compatible: .compatible
                case nil: settings.baseURL.contains("api.openai.com") ? .openai : .compatible
                }
            return OpenAICompatibleModel(
                configuration: .init(baseURL: settings.baseURL, apiKey: settings.apiKey, modelID: model.id, flavor: flavor, timeout: timeout),
                httpClient: httpClient, provider: provider.name)
        case .local(let settings):
            guard let baseURL = settings.baseURL ?? localServers[provider.name]?.baseURL else {
                throw ConfigurationProblem("providers.\(provider.name): no base_url and no local server to start")
            }
            return OpenAICompatibleModel(
                configuration: .init(baseURL: baseURL, modelID: model.id, flavor: .llamaCpp, timeout: .milliseconds(Int64((provider.timeoutSeconds ?? 300) * 1000))),
                httpClient: httpClient, provider: provider.name)
        case .replay(let settings):
            let cassette = URL(fileURLWithPath: settings.cassette)
            guard case .record(let sourceName) = settings.mode else { return try ReplayModel(cassette: cassette, mode: .replay) }
            guard let configuration, let source = configuration.model(named: sourceName),
                let sourceProvider = configuration.providers[source.provider], sourceProvider.kind != .replay
            else {
                throw ConfigurationProblem("providers.\(provider.name): record mode needs record_from: naming a configured, non-replay model")
            }
            let inner = try make(source, provider: sourceProvider, configuration: configuration)
            return try ReplayModel(cassette: cassette, mode: .record(inner))
        }
    }
}
