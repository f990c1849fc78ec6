import AsyncHTTPClient
import CentaurCore
import CentaurProviders
import Foundation

/// Makes a ``LanguageModel`` from a model's and its provider's configuration.
struct ProviderFactory: Sendable {
    let httpClient: HTTPClient
    let environment: [String: String]
    let localServers: [String: LocalModelServer]

    func make(_ model: ModelConfiguration, provider: ProviderConfiguration, configuration: CentaurConfiguration) throws -> any LanguageModel {
        if let missing = provider.missingEnvironment.first {
            throw ConfigurationProblem("providers.\(provider.name): \(missing)")
        }
        let timeout = Duration.milliseconds(Int64((provider.timeoutSeconds ?? 120) * 1000))
        switch provider.kind {
        case .anthropic:
            guard let key = provider.apiKey ?? environment["ANTHROPIC_API_KEY"], !key.isEmpty else {
                throw ConfigurationProblem("providers.\(provider.name): no API key; set api_key: ${ANTHROPIC_API_KEY} and export ANTHROPIC_API_KEY")
            }
            return AnthropicModel(
                configuration: .init(baseURL: provider.baseURL ?? "https://api.anthropic.com", apiKey: key, modelID: model.id, timeout: timeout),
                httpClient: httpClient, provider: provider.name)
        case .bedrock:
            let chain = AWSCredentialChain(environment: environment)
            guard let region = provider.region ?? chain.region() else {
                throw ConfigurationProblem("providers.\(provider.name): no AWS region; set region: in the provider, or AWS_REGION")
            }
            let credentials = try chain.credentials()
            return BedrockModel(
                configuration: .init(region: region, endpoint: provider.endpoint, modelID: model.id, credentials: credentials, timeout: timeout),
                httpClient: httpClient, provider: provider.name)
        case .openai:
            let flavor: OpenAICompatibleModel.Flavor =
                switch provider.flavor {
                case "openai": .openai
                case "azure": .azure(deployment: provider.deployment ?? model.id, apiVersion: provider.apiVersion ?? "2024-10-21")
                case "llama_cpp": .llamaCpp
                case "compatible": .compatible
                default: provider.baseURL?.contains("api.openai.com") == true ? .openai : .compatible
                }
            return OpenAICompatibleModel(
                configuration: .init(baseURL: provider.baseURL!, apiKey: provider.apiKey, modelID: model.id, flavor: flavor, timeout: timeout),
                httpClient: httpClient, provider: provider.name)
        case .local:
            let baseURL = provider.baseURL ?? localServers[provider.name]!.baseURL
            return OpenAICompatibleModel(
                configuration: .init(baseURL: baseURL, modelID: model.id, flavor: .llamaCpp, timeout: .milliseconds(Int64((provider.timeoutSeconds ?? 300) * 1000))),
                httpClient: httpClient, provider: provider.name)
        case .replay:
            let cassette = URL(fileURLWithPath: provider.cassette!)
            if provider.mode == "record" {
                guard let sourceName = provider.recordFrom, let source = configuration.model(named: sourceName),
                    let sourceProvider = configuration.providers[source.provider], sourceProvider.kind != .replay
                else {
                    throw ConfigurationProblem("providers.\(provider.name): record mode needs record_from: naming a configured, non-replay model")
                }
                let inner = try make(source, provider: sourceProvider, configuration: configuration)
                return try ReplayModel(cassette: cassette, mode: .record(inner))
            }
            return try ReplayModel(cassette: cassette, mode: .replay)
        }
    }
}
