import CentaurCore
import CentaurGateway
import Foundation

/// The OpenAI chat completions API (`POST /v1/chat/completions`), served: requests in, responses and chunks out.
enum OpenAIChatAPI: CompatibleAPI {
    static let path = "/v1/chat/completions"
    static let surface = Surface.openAI

    static func responseID(_ compactRequestID: String) -> String { "chatcmpl-" + compactRequestID }

    static func parse(_ body: JSONValue) throws -> CompatibleRequest {
        let root = JSONReader(body)
        let model = try root.require("model").string()
        var system: [String] = []
        var messages: [Message] = []
        for message in try root.require("messages").array() {
            let role = try message.require("role").string()
            switch role {
            case "system", "developer":
                system.append(try textOnly(message.require("content")))
            case "user":
                messages.append(Message(role: .user, content: try parts(message.require("content"))))
            case "assistant":
                var content = try message["content"].map(parts) ?? []
                for call in try message["tool_calls"]?.array() ?? [] {
                    let function = try call.require("function")
                    let arguments = try function["arguments"]?.string() ?? "{}"
                    guard let input = try? JSONValue(parsing: arguments.isEmpty ? "{}" : arguments) else {
                        throw APIError.invalid("\(function.path).arguments", "is not valid JSON")
                    }
                    content.append(.toolUse(ToolUse(id: try call.require("id").string(), name: try function.require("name").string(), input: input)))
                }
                messages.append(Message(role: .assistant, content: content))
            case "tool":
                let result = ToolResult(toolUseID: try message.require("tool_call_id").string(), content: [.text(try textOnly(message.require("content")))])
                // Consecutive tool results travel together in one user turn.
                if let last = messages.last, last.role == .user, last.content.allSatisfy({ if case .toolResult = $0 { true } else { false } }) {
                    messages[messages.count - 1].content.append(.toolResult(result))
                } else {
                    messages.append(Message(role: .user, content: [.toolResult(result)]))
                }
            default:
                throw APIError.invalid("\(message.path).role", "unknown role '\(role)'; expected system, developer, user, assistant or tool")
            }
        }
        if messages.isEmpty { throw APIError.invalid("$.messages", "needs at least one user message") }
        if let n = try root["n"]?.int(), n != 1 { throw APIError.invalid("$.n", "only n = 1 is supported") }

        var request = ModelRequest(model: model, system: system.isEmpty ? nil : system.joined(separator: "\n\n"), messages: messages)
        for name in ["max_completion_tokens", "max_tokens"] {
            if let limit = try root[name]?.int(), limit < 1 { throw APIError.invalid("$.\(name)", "must be at least 1") }
        }
        request.maxTokens = try root["max_completion_tokens"]?.int() ?? root["max_tokens"]?.int()
        request.temperature = try root["temperature"]?.double(in: 0...2)
        request.topP = try root["top_p"]?.double(in: 0...1)
        request.stopSequences = try root["stop"]?.strings() ?? []
        request.tools = try (root["tools"]?.array() ?? []).map { tool in
            let function = try tool.require("function")
            return ToolDefinition(
                name: try function.require("name").string(), description: try function["description"]?.string(),
                inputSchema: try function["parameters"]?.schema() ?? ["type": "object", "properties": [:]])
        }
        if let choice = root["tool_choice"] {
            if let text = choice.value.stringValue {
                switch text {
                case "auto": request.toolChoice = .auto
                case "none": request.toolChoice = ToolChoice.none
                case "required": request.toolChoice = .any
                default: throw APIError.invalid(choice.path, "expected auto, none, required or a function")
                }
            } else {
                request.toolChoice = .tool(name: try choice.require("function").require("name").string())
            }
        }
        if let format = root["response_format"] {
            switch try format.require("type").string() {
            case "text": break
            case "json_object":
                request.responseFormat = .jsonSchema(name: "json_object", schema: try format["schema"]?.schema() ?? ["type": "object"])
            case "json_schema":
                let spec = try format.require("json_schema")
                request.responseFormat = .jsonSchema(name: try spec.require("name").string(), schema: try spec["schema"]?.schema() ?? ["type": "object"])
            case let other:
                throw APIError.invalid("\(format.path).type", "unknown response format '\(other)'")
            }
        }
        var tags: [String: String] = [:]
        for (key, value) in try root["metadata"]?.object() ?? [:] {
            if let text = value.stringValue { tags[key] = text }
        }
        if let user = try root["user"]?.string() { tags["user"] = user }
        request.metadata = tags
        let stream = try root["stream"]?.bool() ?? false
        let includeUsage = try root["stream_options"]?["include_usage"]?.bool() ?? false
        return CompatibleRequest(model: request, stream: stream, includeUsage: includeUsage)
    }

    private static func textOnly(_ content: JSONReader) throws -> String {
        if let text = content.value.stringValue { return text }
        return try content.array().map { part in try part.require("text").string() }.joined()
    }

    private static func parts(_ content: JSONReader) throws -> [ContentBlock] {
        if let text = content.value.stringValue { return [.text(text)] }
        return try content.array().map { part in
            switch try part.require("type").string() {
            case "text":
                return .text(try part.require("text").string())
            case "image_url":
                let (mediaType, data) = try part.require("image_url").require("url").dataURL()
                return .image(ImageContent(mediaType: mediaType, data: data))
            case "file":
                let file = try part.require("file")
                let (mediaType, data) = try file.require("file_data").dataURL()
                return .document(DocumentContent(mediaType: mediaType, data: data, name: try file["filename"]?.string()))
            case let other:
                throw APIError.invalid("\(part.path).type", "unsupported content part '\(other)'")
            }
        }
    }

    static func finishReason(_ reason: StopReason) -> String {
        switch reason {
        case .endTurn, .stopSequence, .other: "stop"
        case .maxTokens: "length"
        case .toolUse: "tool_calls"
        case .contentFiltered: "content_filter"
        }
    }

    static func usage(_ usage: Usage) -> JSONValue {
        let prompt = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens
        return [
            "prompt_tokens": .number(Double(prompt)), "completion_tokens": .number(Double(usage.outputTokens)),
            "total_tokens": .number(Double(prompt + usage.outputTokens)),
            "prompt_tokens_details": ["cached_tokens": .number(Double(usage.cacheReadTokens))],
        ]
    }

    static func toolCall(_ call: ToolUse) -> JSONValue {
        ["id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(call.input.jsonString())]]
    }

    static func encode(_ response: ModelResponse, id: String, model: String, created: Int) -> JSONValue {
        let text = response.text
        var message: [String: JSONValue] = ["role": "assistant", "content": text.isEmpty && !response.toolUses.isEmpty ? .null : .string(text), "refusal": .null]
        if !response.toolUses.isEmpty { message["tool_calls"] = .array(response.toolUses.map(toolCall)) }
        return [
            "id": .string(id), "object": "chat.completion", "created": .number(Double(created)), "model": .string(model),
            "choices": [["index": 0, "message": .object(message), "logprobs": .null, "finish_reason": .string(finishReason(response.stopReason))]],
            "usage": usage(response.usage),
        ]
    }

    static func events(id: String, model: String, created: Int, includeUsage: Bool) -> ChunkEncoder {
        ChunkEncoder(id: id, model: model, created: created, includeUsage: includeUsage)
    }

    /// `{"error": {"message", "type", "param", "code"}}`, as OpenAI answers.
    static func errorBody(_ error: APIError) -> JSONValue {
        let (type, code): (String, String?) =
            switch error.kind {
            case .invalidRequest, .conflict, .unprocessable: ("invalid_request_error", nil)
            case .authentication: ("invalid_request_error", "invalid_api_key")
            case .permission: ("permission_error", "insufficient_scope")
            case .notFound: ("invalid_request_error", "model_not_found")
            case .payloadTooLarge: ("invalid_request_error", "request_too_large")
            case .rateLimited: ("rate_limit_error", "rate_limit_exceeded")
            case .overloaded: ("server_error", "overloaded")
            case .unavailable: ("server_error", "upstream_error")
            case .serviceUnavailable: ("server_error", "service_unavailable")
            case .timeout: ("server_error", "timeout")
            case .internalError: ("server_error", nil)
            }
        let specific = error.code ?? code
        return ["error": ["message": .string(error.message), "type": .string(type), "param": error.param.map(JSONValue.string) ?? .null,
                          "code": specific.map(JSONValue.string) ?? .null]]
    }

    static func modelList(_ models: [ListedModel]) -> JSONValue {
        let data: [JSONValue] = models.map { ["id": .string($0.name), "object": "model", "created": 0, "owned_by": .string($0.owner)] }
        return ["object": "list", "data": .array(data)]
    }

    /// Turns stream events into chat completion chunks.
    struct ChunkEncoder: CompatibleStreamEncoder {
        let id: String
        let model: String
        let created: Int
        let includeUsage: Bool
        private var toolIndex: [Int: Int] = [:]
        private var usage = Usage()
        private var sentRole = false

        init(id: String, model: String, created: Int, includeUsage: Bool) {
            self.id = id
            self.model = model
            self.created = created
            self.includeUsage = includeUsage
        }

        private func chunk(delta: JSONValue, finish: String? = nil) -> JSONValue {
            var object: [String: JSONValue] = [
                "id": .string(id), "object": "chat.completion.chunk", "created": .number(Double(created)), "model": .string(model),
                "choices": [["index": 0, "delta": delta, "logprobs": .null, "finish_reason": finish.map(JSONValue.string) ?? .null]],
            ]
            if includeUsage { object["usage"] = .null }
            return .object(object)
        }

        mutating func serverSentEvents(for event: ModelStreamEvent) -> String {
            encode(event).map { "data: \($0.jsonString())\n\n" }.joined()
        }

        /// The stream ends with `data: [DONE]`.
        func end() -> String { "data: [DONE]\n\n" }

        func failure(_ error: APIError) -> String { "data: \(OpenAIChatAPI.errorBody(error).jsonString())\n\n" }

        mutating func encode(_ event: ModelStreamEvent) -> [JSONValue] {
            var out: [JSONValue] = []
            if !sentRole {
                sentRole = true
                out.append(chunk(delta: ["role": "assistant", "content": ""]))
            }
            switch event {
            case .textDelta(_, let text):
                out.append(chunk(delta: ["content": .string(text)]))
            case .toolUseStart(let index, let callID, let name):
                let position = toolIndex.count
                toolIndex[index] = position
                out.append(chunk(delta: ["tool_calls": [["index": .number(Double(position)), "id": .string(callID), "type": "function", "function": ["name": .string(name), "arguments": ""]]]]))
            case .toolInputDelta(let index, let partial):
                let position = toolIndex[index] ?? 0
                out.append(chunk(delta: ["tool_calls": [["index": .number(Double(position)), "function": ["arguments": .string(partial)]]]]))
            case .usage(let new):
                usage.merge(new)
            case .finish(let reason):
                out.append(chunk(delta: [:], finish: OpenAIChatAPI.finishReason(reason)))
                if includeUsage {
                    out.append([
                        "id": .string(id), "object": "chat.completion.chunk", "created": .number(Double(created)), "model": .string(model),
                        "choices": [], "usage": OpenAIChatAPI.usage(usage),
                    ])
                }
            case .start, .blockStop:
                break
            }
            return out
        }
    }
}
