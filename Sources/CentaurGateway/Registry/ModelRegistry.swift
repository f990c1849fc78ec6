import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurProviders
import Foundation
import Logging
import ServiceLifecycle

/// A configured model name resolved to something that answers, with its price.
public struct ResolvedModel: Sendable {
    public let configuration: ModelConfiguration
    public let provider: ProviderConfiguration
    public let model: any LanguageModel
    /// The price used for cost accounting; `nil` when unknown.
    public let price: ModelPrice?

    public init(configuration: ModelConfiguration, provider: ProviderConfiguration, model: any LanguageModel, price: ModelPrice?) {
        self.configuration = configuration
        self.provider = provider
        self.model = model
        self.price = price
    }

    /// The cost of a call in US dollars, or `nil` when the price is unknown.
    public func cost(of usage: Usage) -> Double? { price?.cost(of: usage) }

    /// Whether the model reads images itself, as it declares (Anthropic, Bedrock, OpenAI proper); llama.cpp and
    /// servers configured as `flavor: compatible` get the document's text instead. An OpenAI-shaped server of no
    /// named flavor is taken to read images, as before capabilities were declared (vision models on vLLM).
    public var readsImages: Bool {
        if model.capabilities.contains(.images) { return true }
        if case .openai(let settings) = provider.settings { return settings.flavor == nil }
        return false
    }
}

/// Builds every configured model once and resolves names to them.
///
/// Local providers without a `base_url` get a supervised ``LocalModelServer``; run ``services`` in the
/// application's `ServiceGroup` (or use ``withServicesRunning(_:)`` in a one-shot command).
public final class ModelRegistry: Sendable {
    public let configuration: CentaurConfiguration
    public let prices: PriceTable
    /// One supervised llama.cpp server per managed local provider.
    public let localServers: [String: LocalModelServer]
    private let built: [String: Result<ResolvedModel, ConfigurationProblem>]
    private let httpClient: HTTPClient
    private let logger: Logger

    public init(
        configuration: CentaurConfiguration, httpClient: HTTPClient,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = .disabled
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        var table = PriceTable.builtIn
        for model in configuration.models {
            if let price = model.price { table.set(price, for: model.id) }
        }
        self.prices = table

        var servers: [String: LocalModelServer] = [:]
        for provider in configuration.providers.values {
            guard case .local(let local) = provider.settings, local.baseURL == nil else { continue }
            let home = local.home ?? CentaurHome.resolve(environment: environment)
            let alias = configuration.models.first { $0.provider == provider.name }?.id ?? LocalModelServer.defaultAlias
            servers[provider.name] = LocalModelServer(
                configuration: .init(home: home, alias: alias, port: local.port ?? 0), httpClient: httpClient,
                logger: logger)
        }
        self.localServers = servers

        var built: [String: Result<ResolvedModel, ConfigurationProblem>] = [:]
        let factory = ProviderFactory(httpClient: httpClient, environment: environment, localServers: servers)
        for model in configuration.models {
            let provider = configuration.providers[model.provider]!
            let price = model.price ?? table.price(for: model.id) ?? (provider.kind == .local ? .free : nil)
            built[model.name] = Result {
                ResolvedModel(configuration: model, provider: provider, model: try factory.make(model, provider: provider, configuration: configuration), price: price)
            }.mapError { $0 as? ConfigurationProblem ?? ConfigurationProblem("\($0)") }
        }
        self.built = built
    }

    /// The model for `name`, or the default model when `name` is `nil`.
    public func resolve(_ name: String? = nil) throws -> ResolvedModel {
        let name = name ?? configuration.defaultModel
        guard let result = built[name] else {
            throw ConfigurationProblem(
                "unknown model '\(name)'; configured models: \(configuration.models.map(\.name).joined(separator: ", ")) (see `centaur models`)")
        }
        return try result.get()
    }

    /// Long-running services the models need (local model servers).
    public var services: [any Service] { Array(localServers.values) }

    /// The local server a model depends on, if any.
    public func localServer(for model: String) -> LocalModelServer? {
        configuration.model(named: model).flatMap { localServers[$0.provider] }
    }

    /// Runs `body` with the services that `model` needs running and ready, then stops them.
    public func withServices<T: Sendable>(for model: String?, _ body: @Sendable () async throws -> T) async throws -> T {
        let name = model ?? configuration.defaultModel
        guard let server = localServer(for: name) else { return try await body() }
        try server.checkInstalled()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await server.run()
                return nil
            }
            try await server.waitUntilReady()
            let result = try await body()
            group.cancelAll()
            while let next = try? await group.next() { _ = next }
            return result
        }
    }
}
