import CentaurCore
import Foundation
import Testing

@testable import CentaurProviders

/// The exact JSON each provider sends, compared with golden files shaped after each provider's documentation.
struct RequestGoldenTests {
    static let weatherSchema: JSONValue = [
        "type": "object",
        "properties": [
            "location": ["type": "string", "description": "The city and state, e.g. San Francisco, CA"],
            "unit": ["type": "string", "enum": ["celsius", "fahrenheit"]],
        ],
        "required": ["location"],
    ]
    static let personSchema: JSONValue = [
        "type": "object",
        "properties": ["name": ["type": "string"], "date_of_birth": ["type": "string", "format": "date"]],
        "required": ["name", "date_of_birth"],
    ]
    static let png = Data(base64Encoded: "iVBORw0KGgo=")!
    static let pdf = Data(base64Encoded: "JVBERi0xLjQ=")!

    @Test func anthropicRequestWithImagesDocumentsToolsAndResults() throws {
        let request = ModelRequest(
            model: "claude", system: "You are a helpful assistant.",
            messages: [
                Message(role: .user, content: [
                    .image(ImageContent(mediaType: "image/png", data: Self.png)),
                    .document(DocumentContent(data: Self.pdf, name: "i9.pdf")),
                    .text("What's the weather like in San Francisco?"),
                ]),
                Message(role: .assistant, content: [.toolUse(ToolUse(id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", input: ["location": "San Francisco, CA"]))]),
                Message(role: .user, content: [.toolResult(ToolResult(toolUseID: "toolu_01A09q90qw90lq917835lq9", content: [.text("15 degrees")]))]),
            ],
            maxTokens: 1024, temperature: 0.5, topP: 0.9, stopSequences: ["\n\nHuman:"],
            tools: [ToolDefinition(name: "get_weather", description: "Get the current weather in a given location", inputSchema: Self.weatherSchema)],
            toolChoice: .auto, metadata: ["feature": "onboarding"])
        let body = AnthropicWire.requestBody(request, modelID: "claude-sonnet-4-5-20250929", stream: true)
        #expect(body == (try fixtureJSON("anthropic/request-full.json")), "\(body.jsonString(pretty: true))")
    }

    @Test func anthropicJSONOutputForcesATool() throws {
        let request = ModelRequest(model: "c", messages: [.user("Jane Roe was born on 4 July 1990.")], responseFormat: .jsonSchema(name: "person", schema: Self.personSchema))
        let body = AnthropicWire.requestBody(request, modelID: "claude-haiku-4-5", stream: false)
        #expect(body == (try fixtureJSON("anthropic/request-json-schema.json")), "\(body.jsonString(pretty: true))")
    }

    @Test func openAIRequestWithImageToolsAndToolResults() throws {
        let request = ModelRequest(
            model: "gpt", system: "You are a helpful assistant.",
            messages: [
                Message(role: .user, content: [.image(ImageContent(mediaType: "image/png", data: Self.png)), .text("What's the weather like in Boston today?")]),
                Message(role: .assistant, content: [.toolUse(ToolUse(id: "call_abc123", name: "get_current_weather", input: ["location": "Boston, MA"]))]),
                Message(role: .user, content: [.toolResult(ToolResult(toolUseID: "call_abc123", content: [.text("22 degrees and sunny")]))]),
            ],
            maxTokens: 1024, temperature: 0.2, stopSequences: ["END"],
            tools: [ToolDefinition(name: "get_current_weather", description: "Get the current weather in a given location", inputSchema: Self.weatherSchema)],
            toolChoice: .auto)
        let body = OpenAIWire.requestBody(request, modelID: "gpt-4o-mini", flavor: .openai, stream: true)
        #expect(body == (try fixtureJSON("openai/request-full.json")), "\(body.jsonString(pretty: true))")
    }

    @Test func openAIJSONSchemaResponseFormat() throws {
        let request = ModelRequest(model: "g", messages: [.user("Jane Roe was born on 4 July 1990.")], maxTokens: 256, responseFormat: .jsonSchema(name: "person", schema: Self.personSchema))
        #expect(OpenAIWire.requestBody(request, modelID: "gpt-4o-mini", flavor: .compatible, stream: false) == (try fixtureJSON("openai/request-json-schema.json")))
    }

    @Test func llamaCppGetsTheJSONObjectWithSchemaForm() throws {
        let request = ModelRequest(model: "q", messages: [.user("Jane Roe was born on 4 July 1990.")], maxTokens: 256, responseFormat: .jsonSchema(name: "person", schema: Self.personSchema))
        #expect(OpenAIWire.requestBody(request, modelID: "qwen2.5-coder-0.5b-instruct", flavor: .llamaCpp, stream: false) == (try fixtureJSON("openai/request-llama-cpp-json.json")))
    }

    @Test func bedrockConverseRequestWithImagesDocumentsAndTools() throws {
        let request = ModelRequest(
            model: "claude", system: "You are an app that creates playlists for a radio station.",
            messages: [
                Message(role: .user, content: [
                    .image(ImageContent(mediaType: "image/png", data: Self.png)),
                    .document(DocumentContent(data: Self.pdf, name: "i9.pdf")),
                    .text("What is the most popular song on WZPZ?"),
                ]),
                Message(role: .assistant, content: [.toolUse(ToolUse(id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: "top_song", input: ["sign": "WZPZ"]))]),
                Message(role: .user, content: [.toolResult(ToolResult(toolUseID: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", content: [.text("Elemental Hotel by 8 Storey Hike")]))]),
            ],
            maxTokens: 512, temperature: 0.5, topP: 0.9, stopSequences: ["END"],
            tools: [ToolDefinition(
                name: "top_song", description: "Get the most popular song played on a radio station.",
                inputSchema: ["type": "object", "properties": ["sign": ["type": "string", "description": "The call sign for the radio station, e.g. WZPZ or WKRP."]], "required": ["sign"]])],
            toolChoice: .auto)
        let body = BedrockWire.requestBody(request)
        #expect(body == (try fixtureJSON("bedrock/request-full.json")), "\(body.jsonString(pretty: true))")
    }

    @Test func azureUsesDeploymentURLsAndTheApiKeyHeader() {
        let model = OpenAICompatibleModel(
            configuration: .init(baseURL: "https://acme.openai.azure.com", apiKey: "k", modelID: "gpt-4o", flavor: .azure(deployment: "prod gpt", apiVersion: "2024-10-21")),
            httpClient: .shared)
        #expect(model.chatCompletionsURL == "https://acme.openai.azure.com/openai/deployments/prod%20gpt/chat/completions?api-version=2024-10-21")
    }

    @Test func bedrockModelIdsWithColonsAndSlashesArePercentEncodedInThePath() {
        let model = HTTPProvider.bedrock.model(baseURL: "https://bedrock-runtime.us-east-1.amazonaws.com", client: .shared) as! BedrockModel
        #expect(model.url(operation: "converse") == "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse")
    }
}

/// Parsing of recorded responses from each provider's documentation.
struct ResponseParsingTests {
    @Test func anthropicTextResponseWithPromptCachingUsage() throws {
        let response = try AnthropicWire.response(from: fixtureJSON("anthropic/response-text.json"), provider: "anthropic")
        #expect(response.text == "Hi! My name is Claude.")
        #expect(response.usage == Usage(inputTokens: 2095, outputTokens: 503, cacheReadTokens: 0, cacheWriteTokens: 2051))
        #expect(response.id == "msg_013Zva2CMHLNnXjNJJKqJ2EF")
        #expect(response.model == "claude-sonnet-4-5-20250929")
    }

    @Test func anthropicToolUseResponse() throws {
        let response = try AnthropicWire.response(from: fixtureJSON("anthropic/response-tool-use.json"), provider: "anthropic")
        #expect(response.stopReason == .toolUse)
        #expect(response.toolUses == [ToolUse(id: "toolu_01A09q90qw90lq917835lq9", name: "get_weather", input: ["location": "San Francisco, CA", "unit": "celsius"])])
    }

    @Test func openAITextResponse() throws {
        let response = try OpenAIWire.response(from: fixtureJSON("openai/response-text.json"), provider: "openai")
        #expect(response.text == "Hello! How can I assist you today?")
        #expect(response.usage == Usage(inputTokens: 19, outputTokens: 10))
        #expect(response.stopReason == .endTurn)
    }

    @Test func openAIToolCallsWithCachedPromptTokens() throws {
        let response = try OpenAIWire.response(from: fixtureJSON("openai/response-tool-calls.json"), provider: "openai")
        #expect(response.toolUses == [ToolUse(id: "call_abc123", name: "get_current_weather", input: ["location": "Boston, MA"])])
        #expect(response.usage == Usage(inputTokens: 18, outputTokens: 17, cacheReadTokens: 64))
        #expect(response.stopReason == .toolUse)
    }

    @Test func bedrockTextResponseWithCacheUsage() throws {
        let response = try BedrockWire.response(from: fixtureJSON("bedrock/response-text.json"), provider: "bedrock")
        #expect(response.text.hasPrefix("Here is a list of 3 pop songs"))
        #expect(response.usage == Usage(inputTokens: 24, outputTokens: 154, cacheReadTokens: 16, cacheWriteTokens: 8))
    }

    @Test func bedrockToolUseResponse() throws {
        let response = try BedrockWire.response(from: fixtureJSON("bedrock/response-tool-use.json"), provider: "bedrock")
        #expect(response.toolUses == [ToolUse(id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: "top_song", input: ["sign": "WZPZ"])])
        #expect(response.stopReason == .toolUse)
    }

    @Test func forcedToolAnswersBecomeJSONText() throws {
        var response = try AnthropicWire.response(from: fixtureJSON("anthropic/response-tool-use.json"), provider: "anthropic")
        response = AnthropicWire.unwrapForcedTool(response, format: .jsonSchema(name: "get_weather", schema: [:]))
        #expect(try response.structuredOutput() == ["location": "San Francisco, CA", "unit": "celsius"])
        #expect(response.stopReason == .endTurn)
    }

    @Test("error bodies map to typed errors", arguments: [
        ("anthropic/error-overloaded.json", 529, ModelError.Kind.overloaded),
        ("anthropic/error-rate-limit.json", 429, .rateLimited),
        ("anthropic/error-prompt-too-long.json", 400, .contextTooLong),
        ("anthropic/error-authentication.json", 401, .authentication),
    ])
    func anthropicErrors(file: String, status: Int, kind: ModelError.Kind) throws {
        let error = AnthropicWire.error(status: status, headers: ["retry-after": "7"], body: try fixture(file), provider: "anthropic")
        #expect(error.kind == kind)
        #expect(error.status == status)
        #expect(!error.message.isEmpty)
    }

    @Test("OpenAI error bodies map to typed errors", arguments: [
        ("openai/error-context-length.json", 400, ModelError.Kind.contextTooLong),
        ("openai/error-rate-limit.json", 429, .rateLimited),
        ("openai/error-invalid-key.json", 401, .authentication),
    ])
    func openAIErrors(file: String, status: Int, kind: ModelError.Kind) throws {
        #expect(OpenAIWire.error(status: status, headers: [:], body: try fixture(file), provider: "openai").kind == kind)
    }

    @Test func bedrockErrorsReadTheErrorTypeHeader() throws {
        let throttled = BedrockWire.error(
            status: 429, headers: ["x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"],
            body: try fixture("bedrock/error-throttling.json"), provider: "bedrock")
        #expect(throttled.kind == .rateLimited)
        #expect(throttled.message == "Too many requests, please wait before trying again.")
        let tooLong = BedrockWire.error(status: 400, headers: ["x-amzn-ErrorType": "ValidationException"], body: try fixture("bedrock/error-validation-too-long.json"), provider: "bedrock")
        #expect(tooLong.kind == .contextTooLong)
    }

    @Test func retryAfterAcceptsSecondsMillisecondsAndHTTPDates() {
        #expect(HTTPFailure.retryAfter(["retry-after": "20"]) == .seconds(20))
        #expect(HTTPFailure.retryAfter(["retry-after-ms": "1500"]) == .milliseconds(1500))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let later = HTTPFailure.retryAfter(["retry-after": "Tue, 14 Nov 2023 22:13:50 GMT"], now: now)
        #expect(later == .seconds(30))
        #expect(HTTPFailure.retryAfter([:]) == nil)
    }
}
