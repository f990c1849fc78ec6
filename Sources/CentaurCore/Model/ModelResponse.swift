import Foundation

/// Why the model stopped generating.
public enum StopReason: Sendable, Hashable, CustomStringConvertible {
    case endTurn
    case maxTokens
    case stopSequence
    case toolUse
    case contentFiltered
    case other(String)

    public var description: String {
        switch self {
        case .endTurn: "end_turn"
        case .maxTokens: "max_tokens"
        case .stopSequence: "stop_sequence"
        case .toolUse: "tool_use"
        case .contentFiltered: "content_filtered"
        case .other(let value): value
        }
    }
}

extension StopReason: Codable {
    /// Parses the snake_case name ``description`` gives.
    public init(_ name: String) {
        switch name {
        case "end_turn": self = .endTurn
        case "max_tokens": self = .maxTokens
        case "stop_sequence": self = .stopSequence
        case "tool_use": self = .toolUse
        case "content_filtered": self = .contentFiltered
        default: self = .other(name)
        }
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Tokens counted by the provider for one call.
public struct Usage: Sendable, Hashable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int
    /// Input tokens served from the provider's prompt cache.
    public var cacheReadTokens: Int
    /// Input tokens written to the provider's prompt cache.
    public var cacheWriteTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
    }

    public static let zero = Usage()

    /// Takes the non-zero fields of a later report: providers send input tokens first and output tokens last.
    public mutating func merge(_ later: Usage) {
        if later.inputTokens != 0 { inputTokens = later.inputTokens }
        if later.outputTokens != 0 { outputTokens = later.outputTokens }
        if later.cacheReadTokens != 0 { cacheReadTokens = later.cacheReadTokens }
        if later.cacheWriteTokens != 0 { cacheWriteTokens = later.cacheWriteTokens }
    }

    /// All tokens billed for the call.
    public var totalTokens: Int { inputTokens + outputTokens + cacheReadTokens + cacheWriteTokens }

    enum CodingKeys: String, CodingKey {
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case cacheReadTokens = "cache_read_tokens"
        case cacheWriteTokens = "cache_write_tokens"
    }
}

/// A model's complete answer.
public struct ModelResponse: Sendable, Hashable, Codable {
    /// The provider's id for this response, when it gives one.
    public var id: String?
    /// The model id the upstream reports having used.
    public var model: String
    public var content: [ContentBlock]
    public var stopReason: StopReason
    public var usage: Usage
    /// Wall time from sending the request to the last byte.
    public var latency: Duration
    /// Wall time from sending the request to the first generated token (streaming only).
    public var timeToFirstToken: Duration?

    public init(
        id: String? = nil,
        model: String,
        content: [ContentBlock],
        stopReason: StopReason,
        usage: Usage,
        latency: Duration = .zero,
        timeToFirstToken: Duration? = nil
    ) {
        self.id = id
        self.model = model
        self.content = content
        self.stopReason = stopReason
        self.usage = usage
        self.latency = latency
        self.timeToFirstToken = timeToFirstToken
    }

    /// The concatenated text blocks.
    public var text: String { content.compactMap(\.text).joined() }

    /// The tool calls in the answer.
    public var toolUses: [ToolUse] { content.compactMap(\.toolUse) }

    /// The structured output: the forced tool's input when a provider answered through a tool, else the text parsed as JSON.
    public func structuredOutput() throws -> JSONValue {
        if let toolUse = toolUses.first { return toolUse.input }
        let text = self.text.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            return try JSONValue(parsing: Self.stripCodeFence(text))
        } catch let error as JSONValue.ParseError {
            throw ModelError.malformedResponse("the model's answer is not JSON: \(error.reason)", provider: nil)
        }
    }

    private static func stripCodeFence(_ text: String) -> String {
        guard text.hasPrefix("```") else { return text }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeFirst()
        if lines.last?.hasPrefix("```") == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}
