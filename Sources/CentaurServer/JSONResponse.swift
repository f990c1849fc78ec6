import CentaurCore
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// Renders errors and JSON at the edge, once.
enum ErrorResponses {
    static func response(_ error: APIError, anthropic: Bool) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter = error.retryAfter {
            headers[.retryAfter] = String(max(1, Int(retryAfter.seconds.rounded(.up))))
        }
        let body = anthropic ? error.anthropicBody : error.openAIBody
        return Response(
            status: HTTPResponse.Status(code: error.status(anthropic: anthropic)), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.jsonBytes())))
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
