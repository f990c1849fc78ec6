import CentaurCore
import CentaurGateway
import Foundation
import HTTPTypes

/// The Anthropic Messages API (`POST /v1/messages`), served: requests in, messages and stream events out.
enum AnthropicMessagesAPI: CompatibleAPI {
    static let path = "/v1/messages"
    static let surface = Surface.anthropic

    static func responseID(_ compactRequestID: String) -> String { "msg_" + compactRequestID }

    static func parse(_ body: JSONValue) throws -> CompatibleRequest {
        let root = JSONReader(body)
        let model = try root.require("model").string()
        let maxTokens = try root.require("max_tokens").int()
        guard maxTokens >= 1 else { throw APIError.invalid("$.max_tokens", "must be at least 1") }
        var system: String?
        if let value = root["system"] {
            system = try value.value.stringValue ?? value.array().map { try $0.require("text").string() }.joined(separator: "\n\n")
        }
        let messages = try root.require("messages").array().map { message -> Message in
            let roleName = try message.require("role").string()
            guard let role = Role(rawValue: roleName) else {
                throw APIError.invalid("\(message.path).role", "expected user or assistant, got '\(roleName)'")
            }
            return Message(role: role, content: try blocks(message.require("content")))
        }
        if messages.isEmpty { throw APIError.invalid("$.messages", "needs at least one message") }
        var request = ModelRequest(model: model, system: system, messages: messages, maxTokens: maxTokens)
        request.temperature = try root["temperature"]?.double(in: 0...1)
        request.topP = try root["top_p"]?.double()
        request.stopSequences = try root["stop_sequences"]?.strings() ?? []
        request.tools = try (root["tools"]?.array() ?? []).compactMap { tool in
            if let type = tool.value["type"]?.stringValue, type != "custom" { return nil }  // server tools are not ours to run
            return ToolDefinition(
                name: try tool.require("name").string(), description: try tool["description"]?.string(),
                inputSchema: try tool.require("input_schema").schema())
        }
        if let choice = root["tool_choice"] {
            switch try choice.require("type").string() {
            case "auto": request.toolChoice = .auto
            case "any": request.toolChoice = .any
            case "none": request.toolChoice = ToolChoice.none
            case "tool": request.toolChoice = .tool(name: try choice.require("name").string())
            case let other: throw APIError.invalid("\(choice.path).type", "unknown tool choice '\(other)'")
            }
        }
        if let format = root["output_format"], try format.require("type").string() == "json_schema" {
            request.responseFormat = .jsonSchema(name: "output", schema: try format.require("schema").schema())
        }
        if let user = try root["metadata"]?["user_id"]?.string() { request.metadata["user"] = user }
        return CompatibleRequest(model: request, stream: try root["stream"]?.bool() ?? false, includeUsage: false)
    }

    private static func blocks(_ content: JSONReader) throws -> [ContentBlock] {
        if let text = content.value.stringValue { return [.text(text)] }
        return try content.array().compactMap { block in
            switch try block.require("type").string() {
            case "text":
                return .text(try block.require("text").string())
            case "image", "document":
                let source = try block.require("source")
                let sourceType = try source.require("type").string()
                if sourceType == "text", try block.require("type").string() == "document" {
                    return .text(try source.require("data").string())
                }
                guard sourceType == "base64" else {
                    throw APIError.invalid("\(source.path).type", "only base64 sources are accepted (remote URLs are not fetched)")
                }
                guard let data = Data(base64Encoded: try source.require("data").string()) else {
                    throw APIError.invalid("\(source.path).data", "the base64 data is not valid")
                }
                let mediaType = try source.require("media_type").string()
                if try block.require("type").string() == "image" {
                    return .image(ImageContent(mediaType: mediaType, data: data))
                }
                return .document(DocumentContent(mediaType: mediaType, data: data, name: try block["title"]?.string()))
            case "tool_use":
                return .toolUse(ToolUse(id: try block.require("id").string(), name: try block.require("name").string(), input: block["input"]?.value ?? [:]))
            case "tool_result":
                let inner: [ContentBlock] = try block["content"].map { try blocks($0) } ?? []
                return .toolResult(ToolResult(toolUseID: try block.require("tool_use_id").string(), content: inner, isError: try block["is_error"]?.bool() ?? false))
            case "thinking", "redacted_thinking":
                return nil
            case let other:
                throw APIError.invalid("\(block.path).type", "unsupported content block '\(other)'")
            }
        }
    }

    static func stopReason(_ reason: StopReason) -> String {
        switch reason {
        case .endTurn, .other: "end_turn"
        case .maxTokens: "max_tokens"
        case .stopSequence: "stop_sequence"
        case .toolUse: "tool_use"
        case .contentFiltered: "refusal"
        }
    }

    static func usage(_ usage: Usage) -> JSONValue {
        [
            "input_tokens": .number(Double(usage.inputTokens)), "output_tokens": .number(Double(usage.outputTokens)),
            "cache_creation_input_tokens": .number(Double(usage.cacheWriteTokens)), "cache_read_input_tokens": .number(Double(usage.cacheReadTokens)),
        ]
    }

    static func block(_ block: ContentBlock) -> JSONValue? {
        switch block {
        case .text(let text): ["type": "text", "text": .string(text)]
        case .toolUse(let call): ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": call.input]
        default: nil
        }
    }

    static func encode(_ response: ModelResponse, id: String, model: String, created: Int) -> JSONValue {
        [
            "id": .string(id), "type": "message", "role": "assistant", "model": .string(model),
            "content": .array(response.content.compactMap(block)), "stop_reason": .string(stopReason(response.stopReason)),
            "stop_sequence": .null, "usage": usage(response.usage),
        ]
    }

    static func events(id: String, model: String, created: Int, includeUsage: Bool) -> EventEncoder {
        EventEncoder(id: id, model: model)
    }

    /// Anthropic answers an overloaded service with its own 529.
    static func status(for error: APIError) -> HTTPResponse.Status {
        error.kind == .overloaded ? HTTPResponse.Status(code: 529) : error.status
    }

    /// `{"type": "error", "error": {"type", "message"}}`, as Anthropic answers.
    static func errorBody(_ error: APIError) -> JSONValue {
        let type: String =
            switch error.kind {
            case .invalidRequest, .conflict, .unprocessable: "invalid_request_error"
            case .authentication: "authentication_error"
            case .permission: "permission_error"
            case .notFound: "not_found_error"
            case .payloadTooLarge: "request_too_large"
            case .rateLimited: "rate_limit_error"
            case .overloaded: "overloaded_error"
            case .unavailable, .internalError, .serviceUnavailable: "api_error"
            case .timeout: "timeout_error"
            }
        return ["type": "error", "error": ["type": .string(type), "message": .string(error.message)]]
    }

    /// The listing Anthropic's SDKs read (asked for with an `anthropic-version` header).
    static func modelList(_ models: [ListedModel]) -> JSONValue {
        let data: [JSONValue] = models.map { ["type": "model", "id": .string($0.name), "display_name": .string($0.name), "created_at": "2025-01-01T00:00:00Z"] }
        return ["data": .array(data), "has_more": false, "first_id": data.first?["id"] ?? .null, "last_id": data.last?["id"] ?? .null]
    }

    /// Turns stream events into Messages API server-sent events (name, data).
    struct EventEncoder: CompatibleStreamEncoder {
        let id: String
        let model: String
        private var started = false
        private var usage = Usage()
        private var openBlock: (source: Int, index: Int)?
        private var nextIndex = 0
        private var bufferedStart: [(String, JSONValue)] = []

        init(id: String, model: String) {
            self.id = id
            self.model = model
        }

        private mutating func start() -> [(String, JSONValue)] {
            guard !started else { return [] }
            started = true
            let message: JSONValue = [
                "id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": [],
                "stop_reason": .null, "stop_sequence": .null, "usage": AnthropicMessagesAPI.usage(
                    Usage(inputTokens: usage.inputTokens, cacheReadTokens: usage.cacheReadTokens, cacheWriteTokens: usage.cacheWriteTokens)),
            ]
            return [("message_start", ["type": "message_start", "message": message])]
        }

        private mutating func closeBlock() -> [(String, JSONValue)] {
            guard let open = openBlock else { return [] }
            openBlock = nil
            return [("content_block_stop", ["type": "content_block_stop", "index": .number(Double(open.index))])]
        }

        private mutating func open(source: Int, block: JSONValue) -> [(String, JSONValue)] {
            var out = closeBlock()
            openBlock = (source, nextIndex)
            out.append(("content_block_start", ["type": "content_block_start", "index": .number(Double(nextIndex)), "content_block": block]))
            nextIndex += 1
            return out
        }

        mutating func serverSentEvents(for event: ModelStreamEvent) -> String {
            encode(event).map { "event: \($0.0)\ndata: \($0.1.jsonString())\n\n" }.joined()
        }

        /// `message_stop` ends the stream; nothing follows it.
        func end() -> String { "" }

        func failure(_ error: APIError) -> String { "event: error\ndata: \(AnthropicMessagesAPI.errorBody(error).jsonString())\n\n" }

        mutating func encode(_ event: ModelStreamEvent) -> [(String, JSONValue)] {
            switch event {
            case .start:
                return []
            case .usage(let new):
                usage.merge(new)
                return []
            case .textDelta(let source, let text):
                var out = start()
                if openBlock?.source != source { out += open(source: source, block: ["type": "text", "text": ""]) }
                out.append(("content_block_delta", ["type": "content_block_delta", "index": .number(Double(openBlock!.index)), "delta": ["type": "text_delta", "text": .string(text)]]))
                return out
            case .toolUseStart(let source, let callID, let name):
                return start() + open(source: source, block: ["type": "tool_use", "id": .string(callID), "name": .string(name), "input": [:]])
            case .toolInputDelta(let source, let partial):
                guard let open = openBlock, open.source == source else { return [] }
                return [("content_block_delta", ["type": "content_block_delta", "index": .number(Double(open.index)), "delta": ["type": "input_json_delta", "partial_json": .string(partial)]])]
            case .blockStop(let source):
                return openBlock?.source == source ? closeBlock() : []
            case .finish(let reason):
                var out = start() + closeBlock()
                out.append(("message_delta", [
                    "type": "message_delta", "delta": ["stop_reason": .string(AnthropicMessagesAPI.stopReason(reason)), "stop_sequence": .null],
                    "usage": AnthropicMessagesAPI.usage(usage),
                ]))
                out.append(("message_stop", ["type": "message_stop"]))
                return out
            }
        }
    }
}
