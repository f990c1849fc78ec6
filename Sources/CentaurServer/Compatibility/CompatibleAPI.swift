import CentaurCore
import CentaurGateway
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A model API dialect the gateway serves: how a client's request is read and how the answer, its stream and a
/// failure are written back. ``ModelEndpoint`` serves any dialect through the one gateway pipeline.
///
/// To add one (the OpenAI embeddings or Responses API, say), put an enum conforming to this protocol in a folder of
/// its own under `Compatibility/` and register `ModelEndpoint<NewAPI>` on a route group whose error middleware
/// renders with it (`CentaurServerComponents.makeRouter`).
protocol CompatibleAPI: ErrorShape {
    associatedtype StreamEncoder: CompatibleStreamEncoder
    /// The path the dialect is served at (`POST`).
    static var path: String { get }
    /// What its calls are traced as.
    static var surface: Surface { get }
    /// A body already parsed as a JSON object into the gateway's request; a mistake is an ``APIError`` naming the JSON path.
    static func parse(_ body: JSONValue) throws -> CompatibleRequest
    /// The response id for a request id with its dashes removed (`chatcmpl-…`, `msg_…`).
    static func responseID(_ compactRequestID: String) -> String
    /// A whole answer.
    static func encode(_ response: ModelResponse, id: String, model: String, created: Int) -> JSONValue
    /// The encoder of one streamed answer.
    static func events(id: String, model: String, created: Int, includeUsage: Bool) -> StreamEncoder
    /// The body of an error, in the dialect's shape.
    static func errorBody(_ error: APIError) -> JSONValue
    /// The status an error is answered with (``APIError/status`` unless the dialect has its own).
    static func status(for error: APIError) -> HTTPResponse.Status
    /// `GET /v1/models` as the dialect's SDKs read it.
    static func modelList(_ models: [ListedModel]) -> JSONValue
}

extension CompatibleAPI {
    static func status(for error: APIError) -> HTTPResponse.Status { error.status }

    static func response(for error: APIError) -> Response {
        JSONResponse.error(errorBody(error), status: status(for: error), retryAfter: error.retryAfter)
    }
}

/// A request read in some dialect.
struct CompatibleRequest: Sendable {
    var model: ModelRequest
    var stream: Bool
    /// OpenAI's `stream_options.include_usage`: a last chunk carries the usage.
    var includeUsage: Bool
}

/// A model or route as `GET /v1/models` lists it.
struct ListedModel: Sendable {
    var name: String
    /// The provider, or `route`.
    var owner: String
}

/// Writes one streamed answer as server-sent events, in order.
protocol CompatibleStreamEncoder: Sendable {
    /// The text of the events for one stream event (empty when it adds nothing the dialect shows).
    mutating func serverSentEvents(for event: ModelStreamEvent) -> String
    /// What follows the last event.
    func end() -> String
    /// A failure after tokens were sent, reported in the stream itself.
    func failure(_ error: APIError) -> String
}
