import CentaurCore
import Foundation
import NIOHTTP1

/// The Bedrock Converse API's JSON shapes.
enum BedrockWire {
    static func requestBody(_ request: ModelRequest) -> JSONValue {
        var tools = request.tools.map(tool)
        var toolChoice: JSONValue? = request.toolChoice.flatMap(self.toolChoice)
        if case .jsonSchema(let name, let schema) = request.responseFormat {
            // Force a tool whose input is the answer, as for the Messages API.
            tools.append(.object([
                ("toolSpec", .object([
                    ("name", .string(name)),
                    ("description", .string("Record the answer. Its input is the complete response, matching this schema.")),
                    ("inputSchema", .object([("json", schema)])),
                ]))
            ]))
            toolChoice = .object([("tool", .object([("name", .string(name))]))])
        }
        let inference: JSONValue = .object([
            ("maxTokens", request.maxTokens.map { .number(Double($0)) }),
            ("temperature", request.temperature.map(JSONValue.number)),
            ("topP", request.topP.map(JSONValue.number)),
            ("stopSequences", request.stopSequences.isEmpty ? nil : .array(request.stopSequences.map(JSONValue.string))),
        ])
        let hasTools = !tools.isEmpty && request.toolChoice != ToolChoice.none || request.responseFormat != .text
        return .object([
            ("messages", .array(request.messages.map(message))),
            ("system", request.system.map { .array([.object([("text", .string($0))])]) }),
            ("inferenceConfig", inference.objectValue?.isEmpty == true ? nil : inference),
            ("toolConfig", hasTools ? .object([("tools", .array(tools)), ("toolChoice", toolChoice)]) : nil),
        ])
    }

    static func message(_ message: Message) -> JSONValue {
        .object([("role", .string(message.role.rawValue)), ("content", .array(message.content.map(block)))])
    }

    static func block(_ block: ContentBlock) -> JSONValue {
        switch block {
        case .text(let text):
            return .object([("text", .string(text))])
        case .image(let image):
            return .object([("image", .object([("format", .string(image.format)), ("source", .object([("bytes", .string(image.data.base64EncodedString()))]))]))])
        case .document(let document):
            let format = document.mediaType.split(separator: "/").last.map(String.init) ?? "pdf"
            return .object([("document", .object([
                ("format", .string(format)), ("name", .string(documentName(document.name))),
                ("source", .object([("bytes", .string(document.data.base64EncodedString()))])),
            ]))])
        case .toolUse(let call):
            return .object([("toolUse", .object([("toolUseId", .string(call.id)), ("name", .string(call.name)), ("input", call.input)]))])
        case .toolResult(let result):
            return .object([("toolResult", .object([
                ("toolUseId", .string(result.toolUseID)),
                ("content", .array(result.content.map(self.block))),
                ("status", result.isError ? "error" : nil),
            ]))])
        }
    }

    /// Bedrock allows only letters, digits, single spaces, hyphens, parentheses and square brackets in a document name.
    static func documentName(_ name: String?) -> String {
        let base = (name ?? "document").split(separator: ".").first.map(String.init) ?? "document"
        var cleaned = String(base.map { $0.isLetter || $0.isNumber || "-()[] ".contains($0) ? $0 : "-" })
        while cleaned.contains("  ") { cleaned = cleaned.replacingOccurrences(of: "  ", with: " ") }
        return cleaned.isEmpty ? "document" : cleaned
    }

    static func tool(_ tool: ToolDefinition) -> JSONValue {
        .object([("toolSpec", .object([
            ("name", .string(tool.name)), ("description", tool.description.map(JSONValue.string)),
            ("inputSchema", .object([("json", tool.inputSchema)])),
        ]))])
    }

    static func toolChoice(_ choice: ToolChoice) -> JSONValue? {
        switch choice {
        case .auto: .object([("auto", .object([:]))])
        case .any: .object([("any", .object([:]))])
        case .none: nil  // Converse has no "none": tools are left out instead
        case .tool(let name): .object([("tool", .object([("name", .string(name))]))])
        }
    }

    static func stopReason(_ value: String?) -> StopReason {
        switch value {
        case "end_turn", nil: .endTurn
        case "max_tokens": .maxTokens
        case "stop_sequence": .stopSequence
        case "tool_use": .toolUse
        case "guardrail_intervened", "content_filtered": .contentFiltered
        case let other?: .other(other)
        }
    }

    static func usage(_ json: JSONValue?) -> Usage {
        Usage(
            inputTokens: json?["inputTokens"]?.intValue ?? 0, outputTokens: json?["outputTokens"]?.intValue ?? 0,
            cacheReadTokens: json?["cacheReadInputTokens"]?.intValue ?? 0,
            cacheWriteTokens: json?["cacheWriteInputTokens"]?.intValue ?? 0)
    }

    static func response(from json: JSONValue, provider: String) throws -> ModelResponse {
        guard let blocks = json["output"]?["message"]?["content"]?.arrayValue else {
            throw ModelError.malformedResponse("\(provider) response has no output.message.content", provider: provider)
        }
        var content: [ContentBlock] = []
        for block in blocks {
            if let text = block["text"]?.stringValue {
                content.append(.text(text))
            } else if let call = block["toolUse"] {
                content.append(.toolUse(ToolUse(
                    id: call["toolUseId"]?.stringValue ?? "", name: call["name"]?.stringValue ?? "",
                    input: call["input"] ?? .object([:]))))
            }
        }
        return ModelResponse(
            model: "", content: content, stopReason: stopReason(json["stopReason"]?.stringValue), usage: usage(json["usage"]))
    }

    /// HTTP status Bedrock uses for each exception type, for exceptions that arrive inside a stream.
    static func status(forException type: String) -> Int {
        switch type.lowercased() {
        case "throttlingexception", "modelnotreadyexception": 429
        case "validationexception": 400
        case "accessdeniedexception": 403
        case "resourcenotfoundexception": 404
        case "modeltimeoutexception": 408
        case "serviceunavailableexception": 503
        case "modelerrorexception", "modelstreamerrorexception": 424
        default: 500
        }
    }

    static func error(status: Int, headers: HTTPHeaders, body: Data, provider: String) -> ModelError {
        let json = try? JSONValue(parsing: body)
        let headerType = headers.first(name: "x-amzn-errortype")?.split(separator: ":").first.map(String.init)
        let bodyType = (json?["__type"]?.stringValue).flatMap { $0.split(separator: "#").last.map(String.init) }
        let type = headerType ?? bodyType
        let message = json?["message"]?.stringValue ?? json?["Message"]?.stringValue
            ?? (body.isEmpty ? "HTTP \(status) with an empty body" : String(decoding: body.prefix(300), as: UTF8.self))
        return HTTPFailure.error(status: status, headers: headers, message: message, type: type, provider: provider)
    }
}

/// Turns ConverseStream event-stream messages into ``ModelStreamEvent``s.
///
/// Bedrock sends `metadata` (usage) after `messageStop`, so the finish event is emitted by ``finish()``.
struct BedrockStreamDecoder {
    let provider: String
    let modelID: String
    let forcedTool: String?
    private var forcedIndices: Set<Int> = []
    private var stopReason: String?
    private var sawStop = false

    init(provider: String, modelID: String, forcedTool: String?) {
        self.provider = provider
        self.modelID = modelID
        self.forcedTool = forcedTool
    }

    mutating func decode(_ message: EventStreamMessage) throws -> [ModelStreamEvent] {
        if message.header(":message-type") == "exception" || message.header(":message-type") == "error" {
            let type = message.header(":exception-type") ?? message.header(":error-code") ?? "InternalServerException"
            let json = try? JSONValue(parsing: message.payload)
            let text = json?["message"]?.stringValue ?? message.header(":error-message") ?? "exception in stream"
            throw HTTPFailure.error(
                status: BedrockWire.status(forException: type), headers: HTTPHeaders(), message: text,
                type: type.prefix(1).uppercased() + type.dropFirst(), provider: provider)
        }
        let json = try decodeJSON(message.payload, provider: provider, what: "stream event")
        switch message.header(":event-type") {
        case "messageStart":
            return [.start(id: nil, model: modelID)]
        case "contentBlockStart":
            let index = json["contentBlockIndex"]?.intValue ?? 0
            guard let call = json["start"]?["toolUse"] else { return [] }
            let name = call["name"]?.stringValue ?? ""
            if name == forcedTool {
                forcedIndices.insert(index)
                return []
            }
            return [.toolUseStart(index: index, id: call["toolUseId"]?.stringValue ?? "", name: name)]
        case "contentBlockDelta":
            let index = json["contentBlockIndex"]?.intValue ?? 0
            if let text = json["delta"]?["text"]?.stringValue { return [.textDelta(index: index, text: text)] }
            if let input = json["delta"]?["toolUse"]?["input"]?.stringValue {
                return forcedIndices.contains(index) ? [.textDelta(index: index, text: input)] : [.toolInputDelta(index: index, partialJSON: input)]
            }
            return []
        case "contentBlockStop":
            return [.blockStop(index: json["contentBlockIndex"]?.intValue ?? 0)]
        case "messageStop":
            sawStop = true
            stopReason = json["stopReason"]?.stringValue
            return []
        case "metadata":
            return [.usage(BedrockWire.usage(json["usage"]))]
        default:
            return []
        }
    }

    /// The finish event, or `nil` when no `messageStop` arrived.
    func finish() -> [ModelStreamEvent]? {
        guard sawStop else { return nil }
        var reason = BedrockWire.stopReason(stopReason)
        if reason == .toolUse, !forcedIndices.isEmpty { reason = .endTurn }
        return [.finish(stopReason: reason)]
    }
}
