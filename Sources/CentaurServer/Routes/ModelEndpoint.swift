import CentaurCore
import CentaurGateway
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// `POST /v1/chat/completions` and `POST /v1/messages`: any configured model or route, through the gateway.
struct ModelEndpoints: Sendable {
    let gateway: Gateway
    let settings: ServerSettings
    let configuration: CentaurConfiguration

    func register(on router: Hummingbird.Router<CentaurRequestContext>) {
        router.post("/v1/chat/completions") { request, context in
            await self.handle(request, context: context, anthropic: false)
        }
        router.post("/v1/messages") { request, context in
            await self.handle(request, context: context, anthropic: true)
        }
        router.get("/v1/models") { request, _ in
            self.models(anthropic: request.headers[.anthropicVersion] != nil)
        }
    }

    private func handle(_ request: Request, context: CentaurRequestContext, anthropic: Bool) async -> Response {
        do {
            let data: Data
            do {
                var request = request
                data = Data(buffer: try await request.collectBody(upTo: settings.maxBodyBytes))
            } catch {
                throw APIError(.payloadTooLarge, "the request body is larger than the limit of \(settings.maxBodyBytes) bytes")
            }
            // A large body is parsed off the cooperative threads (see CPUWork), so it never stalls other requests.
            let (modelRequest, stream, includeUsage) = try await CPUWork.run(size: data.count) {
                let body = try parseBody(data)
                if anthropic {
                    let parsed = try AnthropicMessagesTranslation.parse(body)
                    return (parsed.request, parsed.stream, false)
                }
                let parsed = try OpenAIChatTranslation.parse(body)
                return (parsed.request, parsed.stream, parsed.includeUsage)
            }
            var gatewayContext = GatewayContext(
                caller: context.key.map { CallerIdentity(keyID: $0.id, keyName: $0.name, team: $0.team,
                                                         limits: Limits(rpm: $0.rpm, tpm: $0.tpm, monthlyUSD: $0.monthlyUSD)) },
                tags: Self.tags(from: request.headers), route: modelRequest.model, surface: anthropic ? .anthropic : .openAI)
            if let team = context.key?.team { gatewayContext.tags["team"] = team }
            gatewayContext.cacheControl = Self.cacheControl(request.headers)
            if stream {
                let events = try await gateway.stream(modelRequest, context: gatewayContext)
                let (id, created) = Self.identity(gatewayContext, anthropic: anthropic)
                var reply = try await streamResponse(events, id: id, created: created, model: modelRequest.model, anthropic: anthropic, includeUsage: includeUsage, requestID: gatewayContext.requestID)
                if let cache = gatewayContext.facts.cacheOutcome { reply.headers[.centaurCache] = cache == .miss ? "miss" : "hit" }
                return reply
            }
            let response = try await gateway.respond(to: modelRequest, context: gatewayContext)
            let (id, created) = Self.identity(gatewayContext, anthropic: anthropic)
            let json = anthropic
                ? AnthropicMessagesTranslation.response(response, id: id, model: modelRequest.model)
                : OpenAIChatTranslation.response(response, id: id, model: modelRequest.model, created: created)
            var reply = ErrorResponses.json(json)
            reply.headers[.requestID] = gatewayContext.requestID
            if let cache = gatewayContext.facts.cacheOutcome { reply.headers[.centaurCache] = cache == .miss ? "miss" : "hit" }
            return reply
        } catch let error as APIError {
            return ErrorResponses.response(error, anthropic: anthropic)
        } catch let error as ModelError {
            return ErrorResponses.response(APIError(error), anthropic: anthropic)
        } catch {
            return ErrorResponses.response(APIError(.internalError, "\(error)"), anthropic: anthropic)
        }
    }

    /// Streams server-sent events. The first event is awaited before answering, so a request that fails
    /// before its first token gets a real error status (a 429 stays a 429 for the SDK).
    /// The response id and creation time: the request's own, or on a cache hit the answer's first request's, so
    /// the body is byte-identical to the one first returned.
    static func identity(_ context: GatewayContext, anthropic: Bool) -> (id: String, created: Int) {
        let hit = context.facts.cacheHit
        let requestID = hit?.originRequestID ?? context.requestID
        let time = (hit?.originTime ?? context.startedAt).timeIntervalSince1970
        let compact = String(decoding: requestID.utf8.filter { $0 != UInt8(ascii: "-") }, as: UTF8.self)
        return ((anthropic ? "msg_" : "chatcmpl-") + compact, Int(time))
    }

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

    private func streamResponse(
        _ events: ModelStream, id: String, created: Int, model: String, anthropic: Bool, includeUsage: Bool, requestID: String
    ) async throws -> Response {
        let iterator = StreamIterator(events.makeAsyncIterator())
        let first = try await iterator.next()
        let body = ResponseBody { writer in
            var openAI = OpenAIChatTranslation.ChunkEncoder(id: id, model: model, created: created, includeUsage: includeUsage)
            var messages = AnthropicMessagesTranslation.EventEncoder(id: id, model: model)
            func write(_ event: ModelStreamEvent) async throws {
                var text = ""
                if anthropic {
                    for (name, data) in messages.encode(event) { text += "event: \(name)\ndata: \(data.jsonString())\n\n" }
                } else {
                    for chunk in openAI.encode(event) { text += "data: \(chunk.jsonString())\n\n" }
                }
                if !text.isEmpty { try await writer.write(ByteBuffer(string: text)) }
            }
            do {
                if let first { try await write(first) }
                while let event = try await iterator.next() { try await write(event) }
                if !anthropic { try await writer.write(ByteBuffer(string: "data: [DONE]\n\n")) }
            } catch let error as ModelError {
                // Tokens were already sent: report the failure in the stream, in the API's own shape.
                let apiError = APIError(error)
                let text = anthropic
                    ? "event: error\ndata: \(apiError.anthropicBody.jsonString())\n\n"
                    : "data: \(apiError.openAIBody.jsonString())\n\n"
                try? await writer.write(ByteBuffer(string: text))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .requestID: requestID],
            body: body)
    }

    private func models(anthropic: Bool) -> Response {
        let names = configuration.models.map { ($0.name, $0.provider) } + configuration.routes.map { ($0.name, "route") }
        if anthropic {
            let data: [JSONValue] = names.map { ["type": "model", "id": .string($0.0), "display_name": .string($0.0), "created_at": "2025-01-01T00:00:00Z"] }
            return ErrorResponses.json(["data": .array(data), "has_more": false, "first_id": data.first?["id"] ?? .null, "last_id": data.last?["id"] ?? .null])
        }
        let data: [JSONValue] = names.map { ["id": .string($0.0), "object": "model", "created": 0, "owned_by": .string($0.1)] }
        return ErrorResponses.json(["object": "list", "data": .array(data)])
    }

    /// `x-centaur-tag-NAME: value` headers become trace tags.
    static func tags(from headers: HTTPFields) -> [String: String] {
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
