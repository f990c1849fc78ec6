import CentaurCore
import Foundation
import NIOHTTP1

/// The Anthropic Messages API's JSON shapes.
enum AnthropicWire {
    static func requestBody(_ request: ModelRequest, modelID: String, stream: Bool) -> JSONValue {
        var tools = request.tools.map(tool)
        var toolChoice = request.toolChoice.map(self.toolChoice)
        if case .jsonSchema(let name, let schema) = request.responseFormat {
            // The Messages API has no JSON mode: force a tool whose input is the answer.
            tools.append(.object([
                ("name", .string(name)),
                ("description", .string("Record the answer. Its input is the complete response, matching this schema.")),
                ("input_schema", schema),
            ]))
            toolChoice = .object([("type", "tool"), ("name", .string(name))])
        }
        return .object([
            ("model", .string(modelID)),
            ("max_tokens", .number(Double(request.maxTokens ?? ModelRequest.defaultMaxTokens))),
            ("system", request.system.map(JSONValue.string)),
            ("messages", .array(request.messages.map(message))),
            ("temperature", request.temperature.map(JSONValue.number)),
            ("top_p", request.topP.map(JSONValue.number)),
            ("stop_sequences", request.stopSequences.isEmpty ? nil : .array(request.stopSequences.map(JSONValue.string))),
            ("tools", tools.isEmpty ? nil : .array(tools)),
            ("tool_choice", toolChoice),
            ("stream", stream ? .bool(true) : nil),
        ])
    }

    static func message(_ message: Message) -> JSONValue {
        .object([("role", .string(message.role.rawValue)), ("content", .array(message.content.map(block)))])
    }

    static func block(_ block: ContentBlock) -> JSONValue {
        switch block {
        case .text(let text):
            return .object([("type", "text"), ("text", .string(text))])
        case .image(let image):
            return .object([
                ("type", "image"),
                ("source", .object([
                    ("type", "base64"), ("media_type", .string(image.mediaType)),
                    ("data", .string(image.data.base64EncodedString())),
                ])),
            ])
        case .document(let document):
            return .object([
                ("type", "document"),
                ("source", .object([
                    ("type", "base64"), ("media_type", .string(document.mediaType)),
                    ("data", .string(document.data.base64EncodedString())),
                ])),
                ("title", document.name.map(JSONValue.string)),
            ])
        case .toolUse(let toolUse):
            return .object([("type", "tool_use"), ("id", .string(toolUse.id)), ("name", .string(toolUse.name)), ("input", toolUse.input)])
        case .toolResult(let result):
            return .object([
                ("type", "tool_result"), ("tool_use_id", .string(result.toolUseID)),
                ("content", .array(result.content.map(self.block))),
                ("is_error", result.isError ? .bool(true) : nil),
            ])
        }
    }

    static func tool(_ tool: ToolDefinition) -> JSONValue {
        .object([("name", .string(tool.name)), ("description", tool.description.map(JSONValue.string)), ("input_schema", tool.inputSchema)])
    }

    static func toolChoice(_ choice: ToolChoice) -> JSONValue {
        switch choice {
        case .auto: .object([("type", "auto")])
        case .any: .object([("type", "any")])
        case .none: .object([("type", "none")])
        case .tool(let name): .object([("type", "tool"), ("name", .string(name))])
        }
    }

    static func forcedToolName(_ format: ResponseFormat) -> String? {
        if case .jsonSchema(let name, _) = format { return name }
        return nil
    }

    static func stopReason(_ value: String?) -> StopReason {
        switch value {
        case "end_turn", nil: .endTurn
        case "max_tokens": .maxTokens
        case "stop_sequence": .stopSequence
        case "tool_use": .toolUse
        case "refusal": .contentFiltered
        case let other?: .other(other)
        }
    }

    static func usage(_ json: JSONValue?) -> Usage {
        Usage(
            inputTokens: json?["input_tokens"]?.intValue ?? 0,
            outputTokens: json?["output_tokens"]?.intValue ?? 0,
            cacheReadTokens: json?["cache_read_input_tokens"]?.intValue ?? 0,
            cacheWriteTokens: json?["cache_creation_input_tokens"]?.intValue ?? 0)
    }

    static func response(from json: JSONValue, provider: String) throws -> ModelResponse {
        guard let blocks = json["content"]?.arrayValue else {
            throw ModelError.malformedResponse("\(provider) response has no content array", provider: provider)
        }
        let stop = json["stop_reason"]?.stringValue
        if stop == "refusal" {
            throw ModelError.refused("the model declined to answer (stop_reason refusal)", provider: provider)
        }
        var content: [ContentBlock] = []
        for block in blocks {
            switch block["type"]?.stringValue {
            case "text":
                content.append(.text(block["text"]?.stringValue ?? ""))
            case "tool_use":
                content.append(.toolUse(ToolUse(
                    id: block["id"]?.stringValue ?? "", name: block["name"]?.stringValue ?? "",
                    input: block["input"] ?? .object([:]))))
            default:
                continue  // thinking and server-tool blocks are not part of our vocabulary yet
            }
        }
        return ModelResponse(
            id: json["id"]?.stringValue, model: json["model"]?.stringValue ?? "", content: content,
            stopReason: stopReason(stop), usage: usage(json["usage"]))
    }

    /// Turns the forced tool call used for JSON output back into JSON text, as other providers answer.
    static func unwrapForcedTool(_ response: ModelResponse, format: ResponseFormat) -> ModelResponse {
        guard let name = forcedToolName(format),
            let call = response.toolUses.first(where: { $0.name == name })
        else { return response }
        var unwrapped = response
        unwrapped.content = [.text(call.input.jsonString())]
        unwrapped.stopReason = response.stopReason == .toolUse ? .endTurn : response.stopReason
        return unwrapped
    }

    static func error(status: Int, headers: HTTPHeaders, body: Data, provider: String) -> ModelError {
        let json = try? JSONValue(parsing: body)
        let type = json?["error"]?["type"]?.stringValue
        let message = json?["error"]?["message"]?.stringValue
            ?? (body.isEmpty ? "HTTP \(status) with an empty body" : String(decoding: body.prefix(300), as: UTF8.self))
        return HTTPFailure.error(status: status, headers: headers, message: message, type: type, provider: provider)
    }
}
