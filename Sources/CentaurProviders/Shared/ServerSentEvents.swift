import Foundation

/// One server-sent event (the `text/event-stream` format of the WHATWG HTML standard).
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field; `nil` when absent (the spec's default type is "message").
    public var event: String?
    /// The `data:` lines joined with newlines.
    public var data: String
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// An incremental `text/event-stream` parser: feed bytes as they arrive, take complete events out.
///
/// Handles `\n`, `\r\n` and `\r` line endings, comments (`: ping`), multi-line `data:`,
/// and lines split across network chunks.
public struct ServerSentEventParser: Sendable {
    private var buffer: [UInt8] = []
    private var event: String?
    private var dataLines: [String] = []
    private var id: String?
    private var sawCarriageReturn = false

    public init() {}

    /// Parses `bytes` and returns the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if sawCarriageReturn {
                sawCarriageReturn = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"):
                if let event = processLine() { events.append(event) }
            case UInt8(ascii: "\r"):
                sawCarriageReturn = true
                if let event = processLine() { events.append(event) }
            default:
                buffer.append(byte)
            }
        }
        return events
    }

    /// Ends the stream: a final event without a trailing blank line is dispatched, as browsers do not, but servers that cut short expect.
    public mutating func finish() -> ServerSentEvent? {
        if !buffer.isEmpty { _ = processLine() }
        return dispatch()
    }

    private mutating func processLine() -> ServerSentEvent? {
        defer { buffer.removeAll(keepingCapacity: true) }
        if buffer.isEmpty { return dispatch() }
        if buffer.first == UInt8(ascii: ":") { return nil }
        let line = String(decoding: buffer, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = line[...]
            value = ""
        }
        switch field {
        case "event": event = String(value)
        case "data": dataLines.append(String(value))
        case "id": id = String(value)
        default: break  // `retry` and unknown fields are ignored
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            event = nil
            dataLines.removeAll()
        }
        guard !dataLines.isEmpty || event != nil else { return nil }
        return ServerSentEvent(event: event, data: dataLines.joined(separator: "\n"), id: id)
    }
}
