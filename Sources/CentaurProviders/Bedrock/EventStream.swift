import Foundation
import CentaurCore

/// One message of the AWS event-stream framing (`application/vnd.amazon.eventstream`).
///
/// Layout: total length (4 bytes), headers length (4), prelude CRC-32 (4), headers, payload, message CRC-32 (4);
/// integers big-endian.
public struct EventStreamMessage: Sendable, Hashable {
    /// A header value; the event-stream format has typed headers.
    public enum HeaderValue: Sendable, Hashable {
        case bool(Bool)
        case byte(Int8)
        case short(Int16)
        case int(Int32)
        case long(Int64)
        case bytes(Data)
        case string(String)
        case timestamp(Int64)
        case uuid(Data)

        public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    }

    public var headers: [(name: String, value: HeaderValue)]
    public var payload: Data

    public init(headers: [(name: String, value: HeaderValue)], payload: Data) {
        self.headers = headers
        self.payload = payload
    }

    /// The value of a string header such as `:event-type`.
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value.stringValue
    }

    public static func == (lhs: EventStreamMessage, rhs: EventStreamMessage) -> Bool {
        lhs.payload == rhs.payload && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(payload)
        for (name, value) in headers {
            hasher.combine(name)
            hasher.combine(value)
        }
    }

    /// An event as Bedrock sends it: `:event-type`, `:content-type` and `:message-type` headers with a JSON payload.
    public static func event(_ type: String, json: String) -> EventStreamMessage {
        EventStreamMessage(
            headers: [(":event-type", .string(type)), (":content-type", .string("application/json")), (":message-type", .string("event"))],
            payload: Data(json.utf8))
    }

    /// An exception as Bedrock sends it mid-stream.
    public static func exception(_ type: String, message: String) -> EventStreamMessage {
        EventStreamMessage(
            headers: [(":exception-type", .string(type)), (":content-type", .string("application/json")), (":message-type", .string("exception"))],
            payload: Data(JSONValue.object(["message": .string(message)]).jsonData()))
    }

    /// The message's bytes on the wire.
    public func encoded() -> Data {
        var headerBytes = Data()
        for (name, value) in headers {
            let nameBytes = Data(name.utf8)
            headerBytes.append(UInt8(nameBytes.count))
            headerBytes.append(nameBytes)
            switch value {
            case .bool(let b): headerBytes.append(b ? 0 : 1)
            case .byte(let v): headerBytes.append(2); headerBytes.append(UInt8(bitPattern: v))
            case .short(let v): headerBytes.append(3); headerBytes.appendBigEndian(UInt16(bitPattern: v))
            case .int(let v): headerBytes.append(4); headerBytes.appendBigEndian(UInt32(bitPattern: v))
            case .long(let v): headerBytes.append(5); headerBytes.appendBigEndian(UInt64(bitPattern: v))
            case .bytes(let d): headerBytes.append(6); headerBytes.appendBigEndian(UInt16(d.count)); headerBytes.append(d)
            case .string(let s):
                let d = Data(s.utf8)
                headerBytes.append(7); headerBytes.appendBigEndian(UInt16(d.count)); headerBytes.append(d)
            case .timestamp(let v): headerBytes.append(8); headerBytes.appendBigEndian(UInt64(bitPattern: v))
            case .uuid(let d): headerBytes.append(9); headerBytes.append(d.prefix(16))
            }
        }
        let total = 12 + headerBytes.count + payload.count + 4
        var out = Data()
        out.appendBigEndian(UInt32(total))
        out.appendBigEndian(UInt32(headerBytes.count))
        out.appendBigEndian(CRC32.checksum(out))
        out.append(headerBytes)
        out.append(payload)
        out.appendBigEndian(CRC32.checksum(out))
        return out
    }
}


/// A corrupt or truncated event stream.
public struct EventStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
}

/// An incremental event-stream decoder: feed bytes as they arrive, take whole messages out.
/// Every prelude and message checksum is verified.
public struct EventStreamDecoder: Sendable {
    private var buffer: [UInt8] = []
    /// Messages larger than this are rejected as corrupt (AWS caps messages at 16 MiB).
    public var maximumMessageSize = 16 << 20

    public init() {}

    /// Whether bytes of an unfinished message are waiting.
    public var hasPartialMessage: Bool { !buffer.isEmpty }

    public mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [EventStreamMessage] {
        buffer.append(contentsOf: bytes)
        var messages: [EventStreamMessage] = []
        while buffer.count >= 12 {
            let total = Int(buffer.readUInt32(at: 0))
            let headersLength = Int(buffer.readUInt32(at: 4))
            let preludeCRC = buffer.readUInt32(at: 8)
            let computed = CRC32.checksum(buffer[0..<8])
            guard computed == preludeCRC else {
                throw EventStreamError(description: "event stream prelude checksum mismatch (expected \(preludeCRC), computed \(computed))")
            }
            guard total >= 16, total <= maximumMessageSize, headersLength <= total - 16 else {
                throw EventStreamError(description: "event stream message has impossible lengths (total \(total), headers \(headersLength))")
            }
            guard buffer.count >= total else { break }
            let messageCRC = buffer.readUInt32(at: total - 4)
            let computedMessage = CRC32.checksum(buffer[0..<(total - 4)])
            guard computedMessage == messageCRC else {
                throw EventStreamError(description: "event stream message checksum mismatch (expected \(messageCRC), computed \(computedMessage))")
            }
            let headers = try Self.parseHeaders(Array(buffer[12..<(12 + headersLength)]))
            let payload = Data(buffer[(12 + headersLength)..<(total - 4)])
            messages.append(EventStreamMessage(headers: headers, payload: payload))
            buffer.removeFirst(total)
        }
        return messages
    }

    /// Call at the end of the byte stream: throws when a message was cut off.
    public func finish() throws {
        if !buffer.isEmpty {
            throw EventStreamError(description: "event stream truncated: \(buffer.count) bytes of an unfinished message")
        }
    }

    static func parseHeaders(_ bytes: [UInt8]) throws -> [(name: String, value: EventStreamMessage.HeaderValue)] {
        var headers: [(name: String, value: EventStreamMessage.HeaderValue)] = []
        var i = 0
        func need(_ n: Int) throws {
            guard i + n <= bytes.count else { throw EventStreamError(description: "event stream header runs past its block") }
        }
        while i < bytes.count {
            try need(1)
            let nameLength = Int(bytes[i]); i += 1
            try need(nameLength + 1)
            let name = String(decoding: bytes[i..<(i + nameLength)], as: UTF8.self); i += nameLength
            let type = bytes[i]; i += 1
            let value: EventStreamMessage.HeaderValue
            switch type {
            case 0: value = .bool(true)
            case 1: value = .bool(false)
            case 2: try need(1); value = .byte(Int8(bitPattern: bytes[i])); i += 1
            case 3: try need(2); value = .short(Int16(bitPattern: UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))); i += 2
            case 4: try need(4); value = .int(Int32(bitPattern: bytes.readUInt32(at: i))); i += 4
            case 5, 8:
                try need(8)
                let v = Int64(bitPattern: UInt64(bytes.readUInt32(at: i)) << 32 | UInt64(bytes.readUInt32(at: i + 4)))
                value = type == 5 ? .long(v) : .timestamp(v); i += 8
            case 6, 7:
                try need(2)
                let length = Int(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])); i += 2
                try need(length)
                let data = Data(bytes[i..<(i + length)]); i += length
                value = type == 6 ? .bytes(data) : .string(String(decoding: data, as: UTF8.self))
            case 9: try need(16); value = .uuid(Data(bytes[i..<(i + 16)])); i += 16
            default: throw EventStreamError(description: "event stream header '\(name)' has unknown type \(type)")
            }
            headers.append((name, value))
        }
        return headers
    }
}

extension Array where Element == UInt8 {
    func readUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }
}

extension Data {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
