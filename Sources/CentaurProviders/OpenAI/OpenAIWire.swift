import CentaurCore
import Foundation
import NIOHTTP1

/// The OpenAI chat completions JSON shapes.
enum OpenAIWire {
    static func requestBody(_ request: ModelRequest, modelID: String, flavor: OpenAICompatibleModel.Flavor, stream: Bool) -> JSONValue {
        var messages: [JSONValue] = []
        if let system = request.system { messages.append(.object([("role", "system"), ("content", .string(system))])) }
        for message in request.messages { messages.append(contentsOf: self.messages(message)) }
        let maxTokensKey = flavor == .openai ? "max_completion_tokens" : "max_tokens"
        return .object([
            ("model", .string(modelID)),
            ("messages", .array(messages)),
            (maxTokensKey, request.maxTokens.map { .number(Double($0)) }),
            ("temperature", request.temperature.map(JSONValue.number)),
            ("top_p", request.topP.map(JSONValue.number)),
            ("stop", request.stopSequences.isEmpty ? nil : .array(request.stopSequences.map(JSONValue.string))),
            ("tools", request.tools.isEmpty ? nil : .array(request.tools.map(tool))),
            ("tool_choice", request.toolChoice.map(toolChoice)),
            ("response_format", responseFormat(request.responseFormat, flavor: flavor)),
            ("stream", stream ? .bool(true) : nil),
            ("stream_options", stream ? .object([("include_usage", .bool(true))]) : nil),
        ])
    }

    /// One of our messages as OpenAI messages: tool results become separate `tool` messages.
    static func messages(_ message: Message) -> [JSONValue] {
        var results: [JSONValue] = []
        var parts: [JSONValue] = []
        var toolCalls: [JSONValue] = []
        for block in message.content {
            switch block {
            case .text(let text):
                parts.append(.object([("type", "text"), ("text", .string(text))]))
            case .image(let image):
                let url = "data:\(image.mediaType);base64,\(image.data.base64EncodedString())"
                parts.append(.object([("type", "image_url"), ("image_url", .object([("url", .string(url))]))]))
            case .document(let document):
                let data = "data:\(document.mediaType);base64,\(document.data.base64EncodedString())"
                parts.append(.object([
                    ("type", "file"),
                    ("file", .object([("filename", .string(document.name ?? "document.pdf")), ("file_data", .string(data))])),
                ]))
            case .toolUse(let call):
                toolCalls.append(.object([
                    ("id", .string(call.id)), ("type", "function"),
                    ("function", .object([("name", .string(call.name)), ("arguments", .string(call.input.jsonString()))])),
                ]))
            case .toolResult(let result):
                let text = result.content.compactMap(\.text).joined(separator: "\n")
                results.append(.object([("role", "tool"), ("tool_call_id", .string(result.toolUseID)), ("content", .string(text))]))
            }
        }
        var out = results
        if !parts.isEmpty || !toolCalls.isEmpty {
            // Text-only content goes as a plain string, which every compatible server accepts.
            let allText = parts.allSatisfy { $0["type"] == "text" }
            let content: JSONValue? =
                parts.isEmpty ? (toolCalls.isEmpty ? .string("") : .null)
                : allText ? .string(parts.compactMap { $0["text"]?.stringValue }.joined()) : .array(parts)
            out.append(.object([
                ("role", .string(message.role.rawValue)),
                ("content", content),
                ("tool_calls", toolCalls.isEmpty ? nil : .array(toolCalls)),
            ]))
        }
        return out
    }

    static func tool(_ tool: ToolDefinition) -> JSONValue {
        .object([
            ("type", "function"),
            ("function", .object([
                ("name", .string(tool.name)), ("description", tool.description.map(JSONValue.string)),
                ("parameters", tool.inputSchema),
            ])),
        ])
    }

    static func toolChoice(_ choice: ToolChoice) -> JSONValue {
        switch choice {
        case .auto: "auto"
        case .any: "required"
        case .none: "none"
        case .tool(let name): .object([("type", "function"), ("function", .object([("name", .string(name))]))])
        }
    }

    static func responseFormat(_ format: ResponseFormat, flavor: OpenAICompatibleModel.Flavor) -> JSONValue? {
        guard case .jsonSchema(let name, let schema) = format else { return nil }
        if flavor == .llamaCpp {
            return .object([("type", "json_object"), ("schema", schema)])
        }
        return .object([
            ("type", "json_schema"),
            ("json_schema", .object([("name", .string(name)), ("schema", schema), ("strict", .bool(true))])),
        ])
    }

    static func stopReason(_ value: String?) -> StopReason {
        switch value {
        case "stop", nil: .endTurn
        case "length": .maxTokens
        case "tool_calls", "function_call": .toolUse
        case "content_filter": .contentFiltered
        case let other?: .other(other)
        }
    }

    static func usage(_ json: JSONValue?) -> Usage {
        let prompt = json?["prompt_tokens"]?.intValue ?? 0
        let cached = json?["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0
        return Usage(inputTokens: prompt - cached, outputTokens: json?["completion_tokens"]?.intValue ?? 0, cacheReadTokens: cached)
    }

    static func response(from json: JSONValue, provider: String) throws -> ModelResponse {
        guard let choice = json["choices"]?[0], let message = choice["message"] else {
            throw ModelError.malformedResponse("\(provider) response has no choices[0].message", provider: provider)
        }
        if let refusal = message["refusal"]?.stringValue {
            throw ModelError.refused(refusal, provider: provider)
        }
        var content: [ContentBlock] = []
        if let text = message["content"]?.stringValue, !text.isEmpty { content.append(.text(text)) }
        for call in message["tool_calls"]?.arrayValue ?? [] {
            let arguments = call["function"]?["arguments"]?.stringValue ?? "{}"
            guard let input = try? JSONValue(parsing: arguments.isEmpty ? "{}" : arguments) else {
                throw ModelError.malformedResponse("tool call arguments are not JSON: \(arguments.prefix(200))", provider: provider)
            }
            content.append(.toolUse(ToolUse(
                id: call["id"]?.stringValue ?? "", name: call["function"]?["name"]?.stringValue ?? "", input: input)))
        }
        return ModelResponse(
            id: json["id"]?.stringValue, model: json["model"]?.stringValue ?? "", content: content,
            stopReason: stopReason(choice["finish_reason"]?.stringValue), usage: usage(json["usage"]))
    }

    static func error(status: Int, headers: HTTPHeaders, body: Data, provider: String) -> ModelError {
        let json = try? JSONValue(parsing: body)
        let error = json?["error"]
        let message = error?["message"]?.stringValue ?? error?.stringValue ?? json?["message"]?.stringValue
            ?? (body.isEmpty ? "HTTP \(status) with an empty body" : String(decoding: body.prefix(300), as: UTF8.self))
        let code = error?["code"]?.stringValue
        let type = code == "context_length_exceeded" ? code : (error?["type"]?.stringValue ?? code)
        return HTTPFailure.error(status: status, headers: headers, message: message, type: type, provider: provider)
    }
}

/// Turns chat completion chunks into ``ModelStreamEvent``s. Text is block 0; tool call `i` is block `i + 1`.
struct OpenAIStreamDecoder {
    let provider: String
    private(set) var sawDone = false
    private var started = false
    private var finishReason: String?
    private var openBlocks: Set<Int> = []
    /// Whether any chunk carried `usage` (llama-cpp-python's server never sends it when streaming).
    private(set) var sawUsage = false
    /// Content and tool-argument chunks seen; llama.cpp servers send one token per chunk.
    private(set) var deltaCount = 0

    init(provider: String) {
        self.provider = provider
    }

    mutating func decode(_ event: ServerSentEvent) throws -> [ModelStreamEvent] {
        let data = event.data.trimmingCharacters(in: .whitespaces)
        if data.isEmpty { return [] }
        if data == "[DONE]" {
            sawDone = true
            return []
        }
        let json = try decodeJSON(Data(data.utf8), provider: provider, what: "stream chunk")
        if let error = json["error"] {
            let message = error["message"]?.stringValue ?? "error in stream"
            let status = error["code"]?.intValue ?? 500
            throw HTTPFailure.error(status: status, headers: HTTPHeaders(), message: message, type: error["type"]?.stringValue, provider: provider)
        }
        var events: [ModelStreamEvent] = []
        if !started {
            started = true
            events.append(.start(id: json["id"]?.stringValue, model: json["model"]?.stringValue ?? ""))
        }
        if let choice = json["choices"]?[0] {
            let delta = choice["delta"]
            if let text = delta?["content"]?.stringValue, !text.isEmpty {
                deltaCount += 1
                openBlocks.insert(0)
                events.append(.textDelta(index: 0, text: text))
            }
            if let refusal = delta?["refusal"]?.stringValue, !refusal.isEmpty {
                throw ModelError.refused(refusal, provider: provider)
            }
            for call in delta?["tool_calls"]?.arrayValue ?? [] {
                let index = (call["index"]?.intValue ?? 0) + 1
                if let id = call["id"]?.stringValue, !openBlocks.contains(index) {
                    openBlocks.insert(index)
                    events.append(.toolUseStart(index: index, id: id, name: call["function"]?["name"]?.stringValue ?? ""))
                }
                if let arguments = call["function"]?["arguments"]?.stringValue, !arguments.isEmpty {
                    deltaCount += 1
                    events.append(.toolInputDelta(index: index, partialJSON: arguments))
                }
            }
            if let reason = choice["finish_reason"]?.stringValue {
                finishReason = reason
            }
        }
        if let usage = json["usage"], usage != .null {
            sawUsage = true
            events.append(.usage(OpenAIWire.usage(usage)))
        }
        return events
    }

    /// The closing events, or `nil` when the stream was cut before it finished.
    func finish() -> [ModelStreamEvent]? {
        guard sawDone || finishReason != nil else { return nil }
        return openBlocks.sorted().map { ModelStreamEvent.blockStop(index: $0) }
            + [.finish(stopReason: OpenAIWire.stopReason(finishReason))]
    }
}
