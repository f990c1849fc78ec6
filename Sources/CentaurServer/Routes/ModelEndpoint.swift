import CentaurConfiguration
import CentaurCore
import CentaurGateway
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// `POST API.path` (`/v1/chat/completions`, `/v1/messages`): any configured model or route, through the gateway, in
/// the dialect `API` speaks. Failures are thrown; the route group's ``ErrorMiddleware`` renders them in that dialect.
struct ModelEndpoint<API: CompatibleAPI>: Sendable {
    let gateway: Gateway
    let maxBodyBytes: Int

    func register(on group: RouterGroup<CentaurRequestContext>) {
        group.post(RouterPath(API.path)) { request, context in
            try await self.handle(request, context: context)
        }
    }

    private func handle(_ request: Request, context: CentaurRequestContext) async throws -> Response {
        let data: Data
        do {
            var request = request
            data = Data(buffer: try await request.collectBody(upTo: maxBodyBytes))
        } catch {
            throw APIError(.payloadTooLarge, "the request body is larger than the limit of \(maxBodyBytes) bytes")
        }
        // A large body is parsed off the cooperative threads (see CPUWork), so it never stalls other requests.
        let parsed = try await CPUWork.run(size: data.count) { try API.parse(try parseBody(data)) }
        let modelRequest = parsed.model
        var gatewayContext = GatewayContext(
            caller: context.key.map { CallerIdentity(keyID: $0.id, keyName: $0.name, team: $0.team,
                                                     limits: Limits(rpm: $0.rpm, tpm: $0.tpm, monthlyUSD: $0.monthlyUSD)) },
            tags: ModelRequestHeaders.tags(request.headers), route: modelRequest.model, surface: API.surface)
        if let team = context.key?.team { gatewayContext.tags["team"] = team }
        gatewayContext.subject = request.headers[HTTPField.Name("x-centaur-subject")!]
        gatewayContext.cacheControl = ModelRequestHeaders.cacheControl(request.headers)
        var reply: Response
        if parsed.stream {
            let events = try await gateway.stream(modelRequest, context: gatewayContext)
            let (id, created) = Self.identity(gatewayContext)
            reply = try await streamResponse(events, encoder: API.events(id: id, model: modelRequest.model, created: created, includeUsage: parsed.includeUsage))
        } else {
            let response = try await gateway.respond(to: modelRequest, context: gatewayContext)
            let (id, created) = Self.identity(gatewayContext)
            reply = JSONResponse.json(API.encode(response, id: id, model: modelRequest.model, created: created))
        }
        reply.headers[.requestID] = gatewayContext.requestID
        if let cache = gatewayContext.facts.cacheOutcome { reply.headers[.centaurCache] = cache == .miss ? "miss" : "hit" }
        return reply
    }

    /// The response id and creation time: the request's own, or on a cache hit the answer's first request's, so
    /// the body is byte-identical to the one first returned.
    static func identity(_ context: GatewayContext) -> (id: String, created: Int) {
        let hit = context.facts.cacheHit
        let requestID = hit?.originRequestID ?? context.requestID
        let time = (hit?.originTime ?? context.startedAt).timeIntervalSince1970
        let compact = String(decoding: requestID.utf8.filter { $0 != UInt8(ascii: "-") }, as: UTF8.self)
        return (API.responseID(compact), Int(time))
    }

    /// Streams server-sent events. The first event is awaited before answering, so a request that fails
    /// before its first token gets a real error status (a 429 stays a 429 for the SDK).
    private func streamResponse(_ events: ModelStream, encoder: API.StreamEncoder) async throws -> Response {
        let iterator = StreamIterator(events.makeAsyncIterator())
        let first = try await iterator.next()
        let body = ResponseBody { writer in
            var encoder = encoder
            func write(_ event: ModelStreamEvent) async throws {
                let text = encoder.serverSentEvents(for: event)
                if !text.isEmpty { try await writer.write(ByteBuffer(string: text)) }
            }
            do {
                if let first { try await write(first) }
                while let event = try await iterator.next() { try await write(event) }
                let end = encoder.end()
                if !end.isEmpty { try await writer.write(ByteBuffer(string: end)) }
            } catch let error as ModelError {
                // Tokens were already sent: report the failure in the stream, in the API's own shape.
                try? await writer.write(ByteBuffer(string: encoder.failure(APIError(error))))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}

/// `GET /v1/models`: every configured model and route, listed in Anthropic's shape for a request with an
/// `anthropic-version` header and in OpenAI's otherwise.
struct ModelListEndpoint: Sendable {
    let configuration: CentaurConfiguration

    func register(on group: RouterGroup<CentaurRequestContext>) {
        group.get("/v1/models") { request, _ in
            let models = configuration.models.map { ListedModel(name: $0.name, owner: $0.provider) }
                + configuration.routes.map { ListedModel(name: $0.name, owner: "route") }
                + configuration.functions.keys.sorted().map { ListedModel(name: $0, owner: "function") }
                + configuration.allEmbeddingModels.map { ListedModel(name: $0.name, owner: $0.provider) }
            let body = request.headers[.anthropicVersion] != nil ? AnthropicMessagesAPI.modelList(models) : OpenAIChatAPI.modelList(models)
            return JSONResponse.json(body)
        }
    }
}

/// What the headers of a model request ask of the gateway, whatever the dialect.
enum ModelRequestHeaders {
    /// `x-centaur-cache-control: no-cache | only-if-cached | force`, or the standard `Cache-Control` directives.
    static func cacheControl(_ headers: HTTPFields) -> CentaurGateway.CacheControl {
        if let value = headers[.centaurCacheControl], let control = CentaurGateway.CacheControl(rawValue: value.trimmingCharacters(in: .whitespaces).lowercased()) {
            return control
        }
        let directives = (headers[.cacheControl] ?? "").lowercased()
        if directives.contains("only-if-cached") { return .onlyIfCached }
        if directives.contains("no-cache") || directives.contains("no-store") { return .noCache }
        return .automatic
    }

    /// `x-centaur-tag-NAME: value` headers become trace tags.
    static func tags(_ headers: HTTPFields) -> [String: String] {
        var tags: [String: String] = [:]
        for field in headers where field.name.canonicalName.hasPrefix("x-centaur-tag-") {
            tags[String(field.name.canonicalName.dropFirst("x-centaur-tag-".count))] = field.value
        }
        return tags
    }
}

/// Lets the response body writer continue an iteration begun before the response was returned.
/// Safe to share: the handler uses it only before returning the response, and the body writer only after,
/// so it is never used by two tasks at once.
final class StreamIterator: @unchecked Sendable {
    private var iterator: ModelStream.AsyncIterator

    init(_ iterator: ModelStream.AsyncIterator) {
        self.iterator = iterator
    }

    func next() async throws -> ModelStreamEvent? {
        try await iterator.next()
    }
}
