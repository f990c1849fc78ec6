import CentaurCore
import Foundation

/// Types and counts of what was replaced in one request: what traces record, never the values.
public struct RedactionCounts: Sendable, Hashable {
    public private(set) var counts: [PIIType: Int] = [:]

    public init() {}

    public mutating func add(_ findings: [PIIFinding]) {
        for finding in findings { counts[finding.type, default: 0] += 1 }
    }

    public var isEmpty: Bool { counts.isEmpty }
    public var total: Int { counts.values.reduce(0, +) }

    /// `PERSON:2,US_SSN:1`, sorted by type.
    public var summary: String {
        counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue):\($0.value)" }.joined(separator: ",")
    }
}

extension Redactor {
    /// The request with personal data replaced in every text a provider would read: the system prompt, text
    /// blocks, tool results and the string values of tool-call inputs. Images and PDFs pass unchanged (the
    /// policy's callers decide whether a provider may see them at all).
    public func redact(_ request: ModelRequest, vault: TokenVault) -> (request: ModelRequest, counts: RedactionCounts) {
        var counts = RedactionCounts()
        var request = request
        func text(_ value: String) -> String {
            let (redacted, findings) = redact(value, vault: vault)
            counts.add(findings)
            return redacted
        }
        func json(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let s): return .string(text(s))
            case .array(let items): return .array(items.map(json))
            case .object(let fields): return .object(fields.mapValues(json))
            default: return value
            }
        }
        func blocks(_ content: [ContentBlock]) -> [ContentBlock] {
            content.map { block in
                switch block {
                case .text(let s): return .text(text(s))
                case .toolUse(var use):
                    use.input = json(use.input)
                    return .toolUse(use)
                case .toolResult(var result):
                    result.content = blocks(result.content)
                    return .toolResult(result)
                default: return block
                }
            }
        }
        request.system = request.system.map(text)
        request.messages = request.messages.map { message in
            var message = message
            message.content = blocks(message.content)
            return message
        }
        return (request, counts)
    }
}

extension TokenVault {
    /// The answer with the placeholders of this vault replaced by their values (text and tool-call inputs).
    public func restore(_ response: ModelResponse) -> ModelResponse {
        guard !isEmpty else { return response }
        var response = response
        response.content = response.content.map { block in
            switch block {
            case .text(let s): return .text(restore(s))
            case .toolUse(var use):
                use.input = restore(use.input)
                return .toolUse(use)
            default: return block
            }
        }
        return response
    }

    public func restore(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(restore(s))
        case .array(let items): return .array(items.map(restore))
        case .object(let fields): return .object(fields.mapValues(restore))
        default: return value
        }
    }

    /// Restores inside JSON text (a streamed tool-call input): values are escaped as JSON string contents.
    public func restoreInJSON(_ text: String) -> String {
        restore(text) { String(JSONValue.string($0).jsonString().dropFirst().dropLast()) }
    }
}

/// Restores a streamed answer event by event; a placeholder split across deltas is held back until whole.
public struct StreamEventRestorer: Sendable {
    private var text: [Int: StreamingRestorer] = [:]
    private var json: [Int: StreamingRestorer] = [:]
    public let vault: TokenVault

    public init(vault: TokenVault) { self.vault = vault }

    /// The events to emit for one upstream event (a block's held-back text comes out before its stop).
    public mutating func restore(_ event: ModelStreamEvent) -> [ModelStreamEvent] {
        switch event {
        case .textDelta(let index, let chunk):
            var restorer = text[index] ?? StreamingRestorer(vault: vault)
            let ready = restorer.feed(chunk)
            text[index] = restorer
            return ready.isEmpty ? [] : [.textDelta(index: index, text: ready)]
        case .toolInputDelta(let index, let chunk):
            var restorer = json[index] ?? StreamingRestorer(vault: vault, inJSON: true)
            let ready = restorer.feed(chunk)
            json[index] = restorer
            return ready.isEmpty ? [] : [.toolInputDelta(index: index, partialJSON: ready)]
        case .blockStop(let index):
            return flush(index) + [event]
        case .finish:
            var events: [ModelStreamEvent] = []
            for index in Set(text.keys).union(json.keys).sorted() { events += flush(index) }
            return events + [event]
        default:
            return [event]
        }
    }

    private mutating func flush(_ index: Int) -> [ModelStreamEvent] {
        var events: [ModelStreamEvent] = []
        if var restorer = text.removeValue(forKey: index) {
            let rest = restorer.flush()
            if !rest.isEmpty { events.append(.textDelta(index: index, text: rest)) }
        }
        if var restorer = json.removeValue(forKey: index) {
            let rest = restorer.flush()
            if !rest.isEmpty { events.append(.toolInputDelta(index: index, partialJSON: rest)) }
        }
        return events
    }
}
