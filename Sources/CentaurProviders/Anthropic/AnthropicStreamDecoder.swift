import CentaurCore
import Foundation
import NIOHTTP1

/// Turns the Messages API's server-sent events into ``ModelStreamEvent``s.
struct AnthropicStreamDecoder {
    let provider: String
    /// The tool forced for JSON output; its input deltas become text deltas.
    let forcedTool: String?
    private(set) var isFinished = false
    private var forcedIndices: Set<Int> = []
    private var stopReason: StopReason = .endTurn

    init(provider: String, forcedTool: String?) {
        self.provider = provider
        self.forcedTool = forcedTool
    }

    mutating func decode(_ event: ServerSentEvent) throws -> [ModelStreamEvent] {
        if event.data.isEmpty { return [] }
        let json = try decodeJSON(Data(event.data.utf8), provider: provider, what: "stream event")
        let type = json["type"]?.stringValue ?? event.event ?? ""
        switch type {
        case "message_start":
            let message = json["message"]
            return [
                .start(id: message?["id"]?.stringValue, model: message?["model"]?.stringValue ?? ""),
                .usage(AnthropicWire.usage(message?["usage"])),
            ]
        case "content_block_start":
            let index = json["index"]?.intValue ?? 0
            let block = json["content_block"]
            switch block?["type"]?.stringValue {
            case "text":
                let text = block?["text"]?.stringValue ?? ""
                return text.isEmpty ? [] : [.textDelta(index: index, text: text)]
            case "tool_use":
                let name = block?["name"]?.stringValue ?? ""
                if name == forcedTool {
                    forcedIndices.insert(index)
                    return []
                }
                return [.toolUseStart(index: index, id: block?["id"]?.stringValue ?? "", name: name)]
            default:
                return []
            }
        case "content_block_delta":
            let index = json["index"]?.intValue ?? 0
            let delta = json["delta"]
            switch delta?["type"]?.stringValue {
            case "text_delta":
                return [.textDelta(index: index, text: delta?["text"]?.stringValue ?? "")]
            case "input_json_delta":
                let partial = delta?["partial_json"]?.stringValue ?? ""
                if forcedIndices.contains(index) { return [.textDelta(index: index, text: partial)] }
                return [.toolInputDelta(index: index, partialJSON: partial)]
            default:
                return []  // thinking and signature deltas
            }
        case "content_block_stop":
            return [.blockStop(index: json["index"]?.intValue ?? 0)]
        case "message_delta":
            let reason = json["delta"]?["stop_reason"]?.stringValue
            if reason == "refusal" {
                throw ModelError.refused("the model declined to answer (stop_reason refusal)", provider: provider)
            }
            stopReason = AnthropicWire.stopReason(reason)
            if stopReason == .toolUse, !forcedIndices.isEmpty { stopReason = .endTurn }
            return [.usage(AnthropicWire.usage(json["usage"]))]
        case "message_stop":
            isFinished = true
            return [.finish(stopReason: stopReason)]
        case "ping":
            return []
        case "error":
            let errorType = json["error"]?["type"]?.stringValue
            let message = json["error"]?["message"]?.stringValue ?? "error event in stream"
            let status: Int =
                switch errorType {
                case "overloaded_error": 529
                case "rate_limit_error": 429
                case "invalid_request_error": 400
                case "authentication_error": 401
                case "permission_error": 403
                case "not_found_error": 404
                case "request_too_large": 413
                case "timeout_error": 504
                default: 500
                }
            throw HTTPFailure.error(status: status, headers: HTTPHeaders(), message: message, type: errorType, provider: provider)
        default:
            return []  // unknown events are ignored, as Anthropic's versioning policy asks
        }
    }
}
