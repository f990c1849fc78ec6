import CentaurCore
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// Writes JSON responses at the edge.
enum JSONResponse {
    /// An error body with its status and, for a limit, when to try again.
    static func error(_ body: JSONValue, status: HTTPResponse.Status, retryAfter: Duration?) -> Response {
        var response = json(body, status: status)
        if let retryAfter { response.headers[.retryAfter] = String(max(1, Int(retryAfter.seconds.rounded(.up)))) }
        return response
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.jsonBytes())))
    }

    static func json(encoding value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
