import Foundation

/// A provider-neutral request to a language model.
///
/// ```swift
/// var request = ModelRequest(model: "small", messages: [.user("Extract the name.")])
/// request.responseFormat = .jsonSchema(name: "person", schema: schema)
/// ```
public struct ModelRequest: Sendable, Hashable, Codable {
    /// The model name as configured (for example `claude` or `small`); providers map it to an upstream id.
    public var model: String
    public var system: String?
    public var messages: [Message]
    /// The most tokens to generate. Providers that require a value use ``ModelRequest/defaultMaxTokens``.
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stopSequences: [String]
    public var tools: [ToolDefinition]
    public var toolChoice: ToolChoice?
    public var responseFormat: ResponseFormat
    /// Tags for tracing and cost attribution (feature, team, user). Never sent upstream.
    public var metadata: [String: String]

    /// Used where a provider requires `max_tokens` and the request leaves it out.
    public static let defaultMaxTokens = 1024

    public init(
        model: String,
        system: String? = nil,
        messages: [Message],
        maxTokens: Int? = nil,
        temperature: Double? = nil,
        topP: Double? = nil,
        stopSequences: [String] = [],
        tools: [ToolDefinition] = [],
        toolChoice: ToolChoice? = nil,
        responseFormat: ResponseFormat = .text,
        metadata: [String: String] = [:]
    ) {
        self.model = model
        self.system = system
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.stopSequences = stopSequences
        self.tools = tools
        self.toolChoice = toolChoice
        self.responseFormat = responseFormat
        self.metadata = metadata
    }
}

/// A tool the model may call.
public struct ToolDefinition: Sendable, Hashable, Codable {
    public var name: String
    public var description: String?
    /// JSON Schema of the tool's input object.
    public var inputSchema: JSONValue

    public init(name: String, description: String? = nil, inputSchema: JSONValue) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
    }
}

/// How the model may choose tools.
public enum ToolChoice: Sendable, Hashable, Codable {
    /// The model decides whether to call a tool.
    case auto
    /// The model must call some tool.
    case any
    /// The model must not call a tool.
    case none
    /// The model must call this tool.
    case tool(name: String)
}

/// The shape the answer must take.
public enum ResponseFormat: Sendable, Hashable, Codable {
    case text
    /// JSON that validates against `schema`. Providers without native support force a tool call.
    case jsonSchema(name: String, schema: JSONValue)

    /// The schema, when structured output is requested.
    public var schema: JSONValue? {
        if case .jsonSchema(_, let schema) = self { return schema }
        return nil
    }
}

extension ModelRequest {
    /// About how many bytes of text the request holds (system prompt, text blocks, tool results; tool inputs counted
    /// as 64 bytes each): cheap to work out, it decides whether scanning the text runs off the cooperative threads.
    public var approximateTextSize: Int {
        func size(_ blocks: [ContentBlock]) -> Int {
            blocks.reduce(0) { total, block in
                switch block {
                case .text(let text): total + text.utf8.count
                case .toolResult(let result): total + size(result.content)
                case .toolUse: total + 64
                default: total
                }
            }
        }
        return (system?.utf8.count ?? 0) + messages.reduce(0) { $0 + size($1.content) }
    }
}

extension ModelRequest {
    /// Whether any message (tool results included) holds an image or a document.
    public var hasImagesOrDocuments: Bool {
        func holds(_ blocks: [ContentBlock]) -> Bool {
            blocks.contains { block in
                switch block {
                case .image, .document: true
                case .toolResult(let result): holds(result.content)
                default: false
                }
            }
        }
        return messages.contains { holds($0.content) }
    }
}
