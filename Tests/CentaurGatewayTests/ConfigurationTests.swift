import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurProviders
import Foundation
import Testing

struct ConfigurationTests {
    let loader = ConfigurationLoader(environment: ["ANTHROPIC_API_KEY": "sk-ant", "VLLM_KEY": "vk", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"])

    static let documented = """
        providers:
          anthropic: { kind: anthropic, api_key: ${ANTHROPIC_API_KEY} }          # base_url optional
          bedrock:   { kind: bedrock, region: us-east-1 }                          # endpoint optional
          vllm:      { kind: openai, base_url: http://127.0.0.1:8000/v1, api_key: ${VLLM_KEY} }
          local:     { kind: local }                                               # the embedded llama.cpp model
        models:
          claude:  { provider: bedrock, id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", price: { input: 3.0, output: 15.0 } }
          small:   { provider: local, id: qwen2.5-coder-0.5b-instruct }
        default_model: small
        """

    @Test func theDocumentedExampleLoadsWithSecretsFromTheEnvironment() throws {
        let configuration = try loader.parse(Self.documented, source: "centaur.yaml")
        #expect(configuration.providers["anthropic"]?.settings == .anthropic(.init(apiKey: "sk-ant")))
        #expect(configuration.providers["vllm"]?.settings == .openai(.init(baseURL: "http://127.0.0.1:8000/v1", apiKey: "vk")))
        #expect(configuration.providers["bedrock"]?.settings == .bedrock(.init(region: "us-east-1")))
        #expect(configuration.providers["local"]?.settings == .local(.init()))
        #expect(configuration.model(named: "claude")?.id == "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
        #expect(configuration.model(named: "claude")?.price == ModelPrice(input: 3, output: 15))
        #expect(configuration.defaultModel == "small")
        #expect(configuration.models.map(\.name) == ["claude", "small"])
    }

    @Test("traces.retention_days is a whole number of days, 1 or more")
    func retentionDays() throws {
        let base = "providers:\n  l: { kind: local }\nmodels:\n  m: { provider: l, id: x }\n"
        let loader = ConfigurationLoader(environment: [:])
        #expect(try loader.parse(base, source: "c.yaml").traceRetentionDays == nil)
        #expect(try loader.parse(base, source: "c.yaml").tracesDurable)
        #expect(try !loader.parse(base + "traces: { durable: false }\n", source: "c.yaml").tracesDurable)
        let durable = #expect(throws: ConfigurationError.self) { try loader.parse(base + "traces: { durable: sometimes }\n", source: "c.yaml") }
        #expect(durable?.description.contains("traces.durable") == true)
        #expect(try loader.parse(base + "traces: { retention_days: 30 }\n", source: "c.yaml").traceRetentionDays == 30)
        for bad in ["0", "1.5", "-3"] {
            let error = #expect(throws: ConfigurationError.self) { try loader.parse(base + "traces: { retention_days: \(bad) }\n", source: "c.yaml") }
            #expect(error?.description.contains("traces.retention_days") == true, "\(bad)")
        }
    }

    @Test("budgets.when_store_down is refuse by default, or admit; anything else names the key")
    func budgetsWhenStoreDown() throws {
        let base = "providers:\n  l: { kind: local }\nmodels:\n  m: { provider: l, id: x }\n"
        let loader = ConfigurationLoader(environment: [:])
        #expect(try loader.parse(base, source: "c.yaml").budgetsWhenStoreDown == .refuse)
        #expect(try loader.parse(base + "budgets: { when_store_down: admit }\n", source: "c.yaml").budgetsWhenStoreDown == .admit)
        let error = #expect(throws: ConfigurationError.self) { try loader.parse(base + "budgets: { when_store_down: maybe }\n", source: "c.yaml") }
        #expect(error?.description.contains("budgets.when_store_down") == true)
    }

    @Test("database: names where the records live; anything but sqlite: or postgres:// is refused with its key")
    func database() throws {
        let base = "providers:\n  l: { kind: local }\nmodels:\n  m: { provider: l, id: x }\n"
        let loader = ConfigurationLoader(environment: ["DB": "postgres://centaur@db.internal:5432/centaur"])
        #expect(try loader.parse(base, source: "c.yaml").database == nil)
        #expect(try loader.parse(base + "database: ${DB}\n", source: "c.yaml").database == "postgres://centaur@db.internal:5432/centaur")
        #expect(try loader.parse(base + "database: sqlite:/var/lib/centaur/c.sqlite\n", source: "c.yaml").database == "sqlite:/var/lib/centaur/c.sqlite")
        let error = #expect(throws: ConfigurationError.self) { try loader.parse(base + "database: mysql://x\n", source: "c.yaml") }
        #expect(error?.description.contains("database") == true && error?.description.contains("postgres://") == true)
    }

    @Test func theRegistryBuildsEachProviderKind() throws {
        let configuration = try loader.parse(Self.documented, source: "centaur.yaml")
        let registry = ModelRegistry(configuration: configuration, httpClient: .shared, environment: loader.environment)
        #expect(try registry.resolve("claude").model is BedrockModel)
        #expect(try registry.resolve().model is OpenAICompatibleModel)
        #expect(try registry.resolve().price == .free)
        #expect(registry.localServer(for: "small") != nil)
        #expect(registry.localServer(for: "claude") == nil)
        let error = #expect(throws: ConfigurationProblem.self) { try registry.resolve("gpt-9") }
        #expect(error?.description.contains("unknown model 'gpt-9'") == true)
    }

    @Test func anUnsetVariableMakesItsProviderUnusableWithAMessageNamingKeyAndLine() throws {
        let configuration = try ConfigurationLoader(environment: [:]).parse(Self.documented, source: "centaur.yaml")
        let model = ModelConfiguration(name: "c", provider: "anthropic", id: "claude-haiku-4-5")
        var withAnthropic = configuration
        withAnthropic.models.append(model)
        let registry = ModelRegistry(configuration: withAnthropic, httpClient: .shared, environment: [:])
        let error = #expect(throws: ConfigurationProblem.self) { try registry.resolve("c") }
        #expect(error?.description.contains("providers.anthropic.api_key (line 2) needs environment variable ANTHROPIC_API_KEY") == true)
    }

    @Test func secretsWithCharactersYAMLWouldMisreadArriveIntact() throws {
        let secret = "a}b, #c: \"d\"{e"
        let yaml = "providers:\n  a: { kind: anthropic, api_key: ${K} }\n  b: { kind: anthropic, api_key: \"pre-${K}\" }\nmodels:\n  m: { provider: a, id: x }\n"
        let configuration = try ConfigurationLoader(environment: ["K": secret]).parse(yaml, source: "c.yaml")
        #expect(configuration.providers["a"]?.settings == .anthropic(.init(apiKey: secret)))
        #expect(configuration.providers["b"]?.settings == .anthropic(.init(apiKey: "pre-" + secret)))
    }

    @Test("each kind decodes into its own settings, with what it cannot do without required")
    func settingsPerKind() throws {
        let yaml = """
            providers:
              azure: { kind: openai, base_url: "https://x.openai.azure.com", flavor: azure, deployment: d, api_version: "2024-10-21" }
              llama: { kind: openai, base_url: "http://127.0.0.1:9/v1", flavor: llama_cpp }
              mine: { kind: local, port: 8123, home: /opt/centaur }
              tape: { kind: replay, cassette: c.jsonl, mode: record, record_from: m }
            models:
              m: { provider: llama, id: x }
            """
        let providers = try ConfigurationLoader(environment: [:]).parse(yaml, source: "c.yaml").providers
        #expect(providers["azure"]?.settings == .openai(.init(baseURL: "https://x.openai.azure.com", flavor: .azure(deployment: "d", apiVersion: "2024-10-21"))))
        #expect(providers["llama"]?.settings == .openai(.init(baseURL: "http://127.0.0.1:9/v1", flavor: .llamaCpp)))
        #expect(providers["mine"]?.settings == .local(.init(home: "/opt/centaur", port: 8123)))
        #expect(providers["tape"]?.settings == .replay(.init(cassette: "c.jsonl", mode: .record(from: "m"))))
        #expect(providers["tape"]?.kind == .replay)
    }

    @Test func defaultsInVariablesApply() throws {
        let yaml = "providers:\n  v: { kind: openai, base_url: \"${VLLM_URL:-http://127.0.0.1:9/v1}\" }\nmodels:\n  m: { provider: v, id: x }\n"
        let configuration = try ConfigurationLoader(environment: [:]).parse(yaml, source: "c.yaml")
        #expect(configuration.providers["v"]?.settings == .openai(.init(baseURL: "http://127.0.0.1:9/v1")))
        #expect(configuration.defaultModel == "m")
    }

    @Test("mistakes are reported with the key and the line", arguments: [
        ("providers:\n  a: { kind: anthropic, api_kye: x }\nmodels:\n  m: { provider: a, id: x }\n", "providers.a.api_kye", 2, "unknown key"),
        ("providers:\n  a: { kind: antropic }\nmodels:\n  m: { provider: a, id: x }\n", "providers.a.kind", 2, "unknown kind 'antropic'"),
        ("providers:\n  a: { kind: anthropic }\nmodels:\n  m: { provider: b, id: x }\n", "models.m.provider", 4, "no provider named 'b'"),
        ("providers:\n  a: { kind: anthropic }\nmodels:\n  m: { provider: a }\n", "models.m", 4, "missing 'id'"),
        ("providers:\n  a: { kind: anthropic }\nmodels:\n  m: { provider: a, id: x }\ndefault_model: z\n", "default_model", 5, "no model named 'z'"),
        ("providers:\n  a: { kind: openai }\nmodels:\n  m: { provider: a, id: x }\n", "providers.a", 2, "missing 'base_url'"),
        ("providers:\n  a: { kind: anthropic }\nmodels:\n  m: { provider: a, id: x, price: { input: cheap, output: 1 } }\n", "models.m.price.input", 4, "expected a number"),
        ("providers:\n  a: { kind: openai, base_url: http://x/v1, flavor: azur }\nmodels:\n  m: { provider: a, id: x }\n", "providers.a.flavor", 2, "unknown flavor 'azur'"),
        ("providers:\n  a: { kind: openai, base_url: http://x/v1, flavor: azure, deployment: d }\nmodels:\n  m: { provider: a, id: x }\n", "providers.a", 2, "needs 'deployment' and 'api_version'"),
        ("providers:\n  a: { kind: replay, cassette: c.jsonl, mode: record }\nmodels:\n  m: { provider: a, id: x }\n", "providers.a", 2, "record mode needs record_from"),
        ("providers:\n  a: { kind: local, port: 70000 }\nmodels:\n  m: { provider: a, id: x }\n", "providers.a.port", 2, "expected a port number"),
    ])
    func mistakes(yaml: String, key: String, line: Int, reason: String) {
        let error = #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).parse(yaml, source: "centaur.yaml") }
        #expect(error?.key == key)
        #expect(error?.line == line)
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func invalidYAMLNamesTheLine() {
        let error = #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader(environment: [:]).parse("providers:\n  a: { kind: anthropic\nmodels: [\n", source: "c.yaml")
        }
        #expect(error?.line != nil)
        #expect(error?.description.contains("not valid YAML") == true)
    }

    @Test func withNoFileTheEmbeddedDefaultServesTheLocalModel() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let previous = FileManager.default.currentDirectoryPath
        // Not changing the process's directory (tests run in parallel): an absent explicit path must fail instead.
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader().load(path: directory.appendingPathComponent("none.yaml").path) }
        #expect(FileManager.default.currentDirectoryPath == previous)
        let embedded = CentaurConfiguration.embeddedDefault
        #expect(embedded.defaultModel == "small")
        #expect(embedded.providers["local"]?.kind == .local)
    }

    @Test func replayProvidersServeACassette() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cassette = directory.appendingPathComponent("c.jsonl")
        // Record through the replay provider wrapping a scripted upstream…
        let recorder = try ReplayModel(cassette: cassette, mode: .record(ScriptedEcho()))
        _ = try await recorder.respond(to: ModelRequest(model: "x", messages: [.user("hi")]))
        // …then serve it from configuration.
        let yaml = "providers:\n  r: { kind: replay, cassette: \(cassette.path) }\nmodels:\n  demo: { provider: r, id: recorded }\n"
        let registry = ModelRegistry(configuration: try loader.parse(yaml, source: "c.yaml"), httpClient: .shared)
        let answer = try await registry.resolve("demo").model.respond(to: ModelRequest(model: "demo", messages: [.user("hi")]))
        #expect(answer.text == "echo: hi")
    }
}

struct ScriptedEcho: LanguageModel {
    let provider = "echo"
    func respond(to request: ModelRequest) async throws -> ModelResponse {
        ModelResponse(model: "echo", content: [.text("echo: \(request.messages.last?.text ?? "")")], stopReason: .endTurn, usage: Usage(inputTokens: 1, outputTokens: 2))
    }
    func stream(_ request: ModelRequest) -> ModelStream {
        .producing { continuation in
            for event in try await respond(to: request).streamEvents { continuation.yield(event) }
        }
    }
}
