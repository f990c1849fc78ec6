import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP/1.1 server on 127.0.0.1 that stands in for a model provider in tests.
///
/// Each request is answered by a handler that returns a ``Reply``: a whole response, a stream of
/// chunks (optionally cut off mid-stream), a reset connection, or no answer at all (for timeouts).
/// Every request is recorded, and each closed connection is reported on ``closedConnections``.
///
/// ```swift
/// let upstream = try await FakeUpstream.start { request in
///     .json(status: 200, #"{"ok":true}"#)
/// }
/// defer { Task { try await upstream.shutdown() } }
/// ```
public final class FakeUpstream: Sendable {
    /// A request as the fake received it.
    public struct Request: Sendable {
        public let method: String
        public let uri: String
        public let headers: [(name: String, value: String)]
        public let body: Data

        /// The first value of a header, matched case-insensitively.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        /// The path without its query string.
        public var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    /// How a stream ends.
    public enum StreamEnd: Sendable {
        /// The response completes normally.
        case complete
        /// The connection is closed before the response ends.
        case cut
    }

    /// What the fake answers.
    public enum Reply: Sendable {
        case response(status: Int, headers: [(String, String)], body: Data)
        /// Sends the head, then each chunk (pausing `interval` between them), then ends as `end` says.
        case stream(status: Int, headers: [(String, String)], chunks: [Data], interval: Duration, end: StreamEnd)
        /// Closes the connection without answering.
        case reset
        /// Never answers; the client's timeout must fire.
        case hang

        /// A JSON body with a status.
        public static func json(status: Int = 200, _ body: String, headers: [(String, String)] = []) -> Reply {
            .response(status: status, headers: [("content-type", "application/json")] + headers, body: Data(body.utf8))
        }

        /// A server-sent-events stream of `text` split into chunks of the given lines.
        public static func sse(_ text: String, chunkSize: Int = 64, interval: Duration = .zero, end: StreamEnd = .complete) -> Reply {
            .stream(
                status: 200, headers: [("content-type", "text/event-stream")],
                chunks: Data(text.utf8).chunked(into: chunkSize), interval: interval, end: end)
        }
    }

    /// What happened on one connection before it closed.
    public struct ClosedConnection: Sendable {
        /// Body chunks written in the last streamed reply.
        public let chunksWritten: Int
        /// Whether the last streamed reply was written to its end.
        public let finishedStream: Bool
    }

    public typealias Handler = @Sendable (Request) async -> Reply

    /// The port the fake listens on.
    public let port: Int
    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    /// Each connection's summary, as it closes.
    public let closedConnections: AsyncStream<ClosedConnection>

    private let recorded: NIOLockedValueBox<[Request]>
    private let serverTask: Task<Void, any Error>
    private let closedContinuation: AsyncStream<ClosedConnection>.Continuation
    private let serverChannel: any Channel

    private init(
        port: Int, recorded: NIOLockedValueBox<[Request]>, serverChannel: any Channel, serverTask: Task<Void, any Error>,
        closed: AsyncStream<ClosedConnection>, continuation: AsyncStream<ClosedConnection>.Continuation
    ) {
        self.port = port
        self.recorded = recorded
        self.serverChannel = serverChannel
        self.serverTask = serverTask
        self.closedConnections = closed
        self.closedContinuation = continuation
    }

    /// Every request received so far, in order.
    public var requests: [Request] { recorded.withLockedValue { $0 } }

    /// Starts a fake on an ephemeral port of 127.0.0.1.
    public static func start(handler: @escaping Handler) async throws -> FakeUpstream {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? 0
        let (closed, continuation) = AsyncStream.makeStream(of: ClosedConnection.self)
        let recorded = NIOLockedValueBox<[Request]>([])
        let task = Task {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask {
                            let summary = await Self.serve(connection, handler: handler, recorded: recorded)
                            continuation.yield(summary)
                        }
                    }
                }
            }
        }
        return FakeUpstream(
            port: port, recorded: recorded, serverChannel: server.channel, serverTask: task,
            closed: closed, continuation: continuation)
    }

    /// Stops listening, closes open connections and ends ``closedConnections``.
    public func shutdown() async throws {
        serverTask.cancel()
        try? await serverChannel.close()
        _ = await serverTask.result
        closedContinuation.finish()
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
        handler: Handler, recorded: NIOLockedValueBox<[Request]>
    ) async -> ClosedConnection {
        var chunksWritten = 0
        var finishedStream = false
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body.clear()
                    case .body(var buffer):
                        body.writeBuffer(&buffer)
                    case .end:
                        guard let head else { return }
                        let request = Request(
                            method: head.method.rawValue, uri: head.uri,
                            headers: head.headers.map { ($0.name, $0.value) },
                            body: Data(body.readableBytesView))
                        recorded.withLockedValue { $0.append(request) }
                        switch await handler(request) {
                        case .response(let status, let headers, let data):
                            var responseHead = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status))
                            for (name, value) in headers { responseHead.headers.add(name: name, value: value) }
                            responseHead.headers.replaceOrAdd(name: "content-length", value: String(data.count))
                            try await outbound.write(.head(responseHead))
                            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: data))))
                            try await outbound.write(.end(nil))
                        case .stream(let status, let headers, let chunks, let interval, let end):
                            chunksWritten = 0
                            finishedStream = false
                            var responseHead = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status))
                            for (name, value) in headers { responseHead.headers.add(name: name, value: value) }
                            try await outbound.write(.head(responseHead))
                            for chunk in chunks {
                                if interval > .zero { try await Task.sleep(for: interval) }
                                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk))))
                                chunksWritten += 1
                            }
                            if case .cut = end { return }
                            try await outbound.write(.end(nil))
                            finishedStream = true
                        case .reset:
                            return
                        case .hang:
                            try await Task.sleep(for: .seconds(3600))
                            return
                        }
                    }
                }
            }
        } catch {
            // The client went away or the fake shut down; the summary says how far we got.
        }
        return ClosedConnection(chunksWritten: chunksWritten, finishedStream: finishedStream)
    }
}

extension Data {
    /// Splits into pieces of at most `size` bytes.
    public func chunked(into size: Int) -> [Data] {
        guard size > 0, !isEmpty else { return isEmpty ? [] : [self] }
        return stride(from: startIndex, to: endIndex, by: size).map { start in
            self[start..<Swift.min(start + size, endIndex)]
        }
    }
}
