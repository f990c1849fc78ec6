import Foundation

/// Who wrote a message in a conversation. System instructions travel in ``ModelRequest/system``.
public enum Role: String, Sendable, Hashable, Codable {
    case user
    case assistant
}

/// One turn of a conversation: a role and its content blocks.
public struct Message: Sendable, Hashable, Codable {
    public var role: Role
    public var content: [ContentBlock]

    public init(role: Role, content: [ContentBlock]) {
        self.role = role
        self.content = content
    }

    /// A user message with one text block.
    public static func user(_ text: String) -> Message { Message(role: .user, content: [.text(text)]) }
    /// An assistant message with one text block.
    public static func assistant(_ text: String) -> Message { Message(role: .assistant, content: [.text(text)]) }

    /// The concatenated text blocks of this message.
    public var text: String { content.compactMap(\.text).joined() }
}

/// A piece of message content.
public enum ContentBlock: Sendable, Hashable {
    case text(String)
    case image(ImageContent)
    case document(DocumentContent)
    case toolUse(ToolUse)
    case toolResult(ToolResult)

    /// The text, when this is a text block.
    public var text: String? { if case .text(let t) = self { return t } else { return nil } }
    /// The tool call, when this is a tool-use block.
    public var toolUse: ToolUse? { if case .toolUse(let t) = self { return t } else { return nil } }
}

/// An image given to the model inline.
public struct ImageContent: Sendable, Hashable, Codable {
    /// IANA media type: `image/jpeg`, `image/png`, `image/gif` or `image/webp`.
    public var mediaType: String
    public var data: Data

    public init(mediaType: String, data: Data) {
        self.mediaType = mediaType
        self.data = data
    }

    /// The image format name Bedrock uses (`jpeg`, `png`, `gif`, `webp`).
    public var format: String { mediaType.split(separator: "/").last.map(String.init) ?? mediaType }

    /// Guesses the media type from a file name's extension; `nil` when it is not an image we send.
    public static func mediaType(forPathExtension ext: String) -> String? {
        switch ext.lowercased() {
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        case "gif": "image/gif"
        case "webp": "image/webp"
        default: nil
        }
    }
}

/// A document (PDF) given to the model inline.
public struct DocumentContent: Sendable, Hashable, Codable {
    /// IANA media type; `application/pdf` for PDFs.
    public var mediaType: String
    public var data: Data
    /// A name for the document; Bedrock requires one.
    public var name: String?

    public init(mediaType: String = "application/pdf", data: Data, name: String? = nil) {
        self.mediaType = mediaType
        self.data = data
        self.name = name
    }
}

/// A model's request to call a tool.
public struct ToolUse: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var input: JSONValue

    public init(id: String, name: String, input: JSONValue) {
        self.id = id
        self.name = name
        self.input = input
    }
}

/// The outcome of a tool call, sent back to the model.
public struct ToolResult: Sendable, Hashable, Codable {
    public var toolUseID: String
    public var content: [ContentBlock]
    public var isError: Bool

    public init(toolUseID: String, content: [ContentBlock], isError: Bool = false) {
        self.toolUseID = toolUseID
        self.content = content
        self.isError = isError
    }
}

extension ContentBlock: Codable {
    private enum CodingKeys: String, CodingKey { case type, text, image, document, toolUse = "tool_use", toolResult = "tool_result" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "text": self = .text(try container.decode(String.self, forKey: .text))
        case "image": self = .image(try container.decode(ImageContent.self, forKey: .image))
        case "document": self = .document(try container.decode(DocumentContent.self, forKey: .document))
        case "tool_use": self = .toolUse(try container.decode(ToolUse.self, forKey: .toolUse))
        case "tool_result": self = .toolResult(try container.decode(ToolResult.self, forKey: .toolResult))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown content block type '\(other)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let text):
            try container.encode("text", forKey: .type)
            try container.encode(text, forKey: .text)
        case .image(let image):
            try container.encode("image", forKey: .type)
            try container.encode(image, forKey: .image)
        case .document(let document):
            try container.encode("document", forKey: .type)
            try container.encode(document, forKey: .document)
        case .toolUse(let toolUse):
            try container.encode("tool_use", forKey: .type)
            try container.encode(toolUse, forKey: .toolUse)
        case .toolResult(let result):
            try container.encode("tool_result", forKey: .type)
            try container.encode(result, forKey: .toolResult)
        }
    }
}
