import AsyncHTTPClient
import CentaurCore
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Parses a provider's error body into a ``ModelError``.
typealias ErrorBodyParser = @Sendable (_ status: Int, _ headers: HTTPHeaders, _ body: Data) -> ModelError

/// Sends provider requests over a shared `HTTPClient` and turns failures into ``ModelError``s.
struct HTTPExchange: Sendable {
    let client: HTTPClient
    let provider: String
    /// The most time to wait for a streamed response's head (the client's read timeout bounds pauses in the
    /// body), or for the whole of an answer collected at once.
    let timeout: Duration
    let parseError: ErrorBodyParser

    /// Sends `request` and returns the response when its status is 2xx; throws the parsed error otherwise.
    func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.seconds * 1e9)))
        } catch {
            throw HTTPFailure.map(error, provider: provider)
        }
        guard (200..<300).contains(response.statusCode) else {
            let body = await HTTPFailure.collectBody(response)
            throw parseError(response.statusCode, response.headers, body)
        }
        return response
    }

    /// Sends `request` and collects the whole body (up to 64 MiB).
    func sendCollecting(_ request: HTTPClientRequest) async throws -> (HTTPClientResponse, Data) {
        let response = try await send(request)
        do {
            let buffer = try await response.body.collect(upTo: 64 << 20)
            return (response, Data(buffer: buffer))
        } catch {
            throw HTTPFailure.map(error, provider: provider)
        }
    }

    /// POSTs JSON and collects the whole answer (up to 64 MiB); throws the parsed error for a non-2xx status.
    ///
    /// For answers that are not streamed this uses AsyncHTTPClient's future-based API with the response handled
    /// on the caller's event loop (under `centaur serve` every task runs on one), so the call costs no extra task
    /// and no actor per request, unlike the async `execute`. (Pinning the connection to that loop too was slower
    /// under load: requests waited for a connection of their own loop.)
    func postCollecting(url: String, headers: [(String, String)], body: JSONValue) async throws -> Data {
        let request: HTTPClient.Request
        do {
            var fields = HTTPHeaders([("content-type", "application/json")])
            fields.add(contentsOf: headers)
            request = try HTTPClient.Request(url: url, method: .POST, headers: fields, body: .bytes(body.jsonBytes()))
        } catch {
            throw HTTPFailure.map(error, provider: provider)
        }
        let eventLoop = client.eventLoopGroup.any()
        let task = client.execute(
            request: request, delegate: ResponseAccumulator(request: request, maxBodySize: 64 << 20),
            eventLoop: .delegate(on: eventLoop), deadline: .now() + .nanoseconds(Int64(timeout.seconds * 1e9)))
        let response: HTTPClient.Response
        do {
            response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch {
            throw HTTPFailure.map(error, provider: provider)
        }
        let data = response.body.map { Data(buffer: $0) } ?? Data()
        guard (200..<300).contains(Int(response.status.code)) else {
            throw parseError(Int(response.status.code), response.headers, data)
        }
        return data
    }

    /// A JSON POST request with the given headers.
    static func jsonPost(url: String, headers: [(String, String)], body: JSONValue) -> HTTPClientRequest {
        jsonPost(url: url, headers: headers, body: body.jsonBytes())
    }

    static func jsonPost(url: String, headers: [(String, String)], body: some Collection<UInt8>) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }
}

extension AsyncSequence where Element == ByteBuffer, Self: Sendable {
    /// Server-sent events parsed from a byte stream as it arrives.
    func serverSentEvents() -> AsyncThrowingStream<ServerSentEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var parser = ServerSentEventParser()
                do {
                    for try await buffer in self {
                        for event in parser.feed(buffer.readableBytesView) { continuation.yield(event) }
                    }
                    if let last = parser.finish() { continuation.yield(last) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Decodes a provider's JSON body, turning decoding failures into ``ModelError/Kind/malformedResponse``.
func decodeJSON(_ data: Data, provider: String, what: String) throws -> JSONValue {
    do {
        return try JSONValue(parsing: data)
    } catch {
        let excerpt = String(decoding: data.prefix(200), as: UTF8.self)
        throw ModelError.malformedResponse("\(provider) sent a \(what) that is not JSON: \(excerpt)", provider: provider)
    }
}

extension JSONValue {
    /// Builds an object from pairs, leaving out `nil` values.
    static func object(_ pairs: [(String, JSONValue?)]) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for (key, value) in pairs { if let value { object[key] = value } }
        return .object(object)
    }
}

extension String {
    /// A base URL without its trailing slash, so paths can be appended.
    var withoutTrailingSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}
