import CentaurConfiguration
import CentaurCore
import CentaurGateway
import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/embeddings`, OpenAI's embeddings API: `{model, input: string | [string], encoding_format: float | base64,
/// dimensions, user}` → `{object: "list", data: [{object: "embedding", index, embedding}], model, usage}`. The call goes
/// through ``EmbeddingGateway``: budgets, the data policy, retries and a trace like any model call. Token-id inputs are
/// refused (each model has its own tokenizer; send text). Errors are OpenAI-shaped (the route group's middleware).
struct EmbeddingsEndpoint: Sendable {
    let embeddings: EmbeddingGateway
    let maxBodyBytes: Int

    static let path = "/v1/embeddings"

    struct Parsed: Sendable {
        var model: String
        var request: EmbeddingRequest
        var base64: Bool
        var user: String?
    }

    func register(on group: RouterGroup<CentaurRequestContext>) {
        group.post(RouterPath(Self.path)) { request, context in
            let data: Data
            do {
                var request = request
                data = Data(buffer: try await request.collectBody(upTo: maxBodyBytes))
            } catch {
                throw APIError(.payloadTooLarge, "the request body is larger than the limit of \(maxBodyBytes) bytes")
            }
            let parsed = try await CPUWork.run(size: data.count) { try Self.parse(try parseBody(data)) }
            var gatewayContext = GatewayContext(
                caller: context.key.map { CallerIdentity(keyID: $0.id, keyName: $0.name, team: $0.team,
                                                         limits: Limits(rpm: $0.rpm, tpm: $0.tpm, monthlyUSD: $0.monthlyUSD)) },
                tags: ModelRequestHeaders.tags(request.headers), route: parsed.model, surface: "embeddings")
            if let team = context.key?.team { gatewayContext.tags["team"] = team }
            if let user = parsed.user { gatewayContext.tags["user"] = user }
            let result = try await embeddings.embed(parsed.request, model: parsed.model, context: gatewayContext)
            var response = Response(status: .ok, headers: [.contentType: "application/json"],
                                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: Self.encode(result, model: parsed.model, base64: parsed.base64))))
            response.headers[.requestID] = gatewayContext.requestID
            return response
        }
    }

    /// Reads the body; every mistake names its field.
    static func parse(_ body: JSONValue) throws -> Parsed {
        guard case .string(let model)? = body["model"], !model.isEmpty else { throw APIError.invalid("model", "required: the name of an embedding model") }
        let inputs: [String]
        switch body["input"] {
        case .string(let text)?: inputs = [text]
        case .array(let items)?:
            guard !items.isEmpty else { throw APIError.invalid("input", "an empty list; send at least one string") }
            inputs = try items.enumerated().map { index, item in
                switch item {
                case .string(let text): return text
                case .number, .array:
                    throw APIError.invalid("input[\(index)]", "token ids are not accepted (each model has its own tokenizer); send the text")
                default: throw APIError.invalid("input[\(index)]", "expected a string")
                }
            }
        case nil, .null?: throw APIError.invalid("input", "required: a string or a list of strings")
        default: throw APIError.invalid("input", "expected a string or a list of strings")
        }
        for (index, text) in inputs.enumerated() where text.isEmpty {
            throw APIError.invalid(inputs.count == 1 ? "input" : "input[\(index)]", "an empty string cannot be embedded")
        }
        var base64 = false
        switch body["encoding_format"] {
        case nil, .null?, .string("float")?: break
        case .string("base64")?: base64 = true
        default: throw APIError.invalid("encoding_format", "expected float or base64")
        }
        var dimensions: Int?
        if let value = body["dimensions"], value != .null {
            guard case .number(let number) = value, number == number.rounded(), number >= 1, number <= 65_536 else {
                throw APIError.invalid("dimensions", "expected a whole number of at least 1")
            }
            dimensions = Int(number)
        }
        var user: String?
        if let value = body["user"], value != .null {
            guard case .string(let text) = value else { throw APIError.invalid("user", "expected a string") }
            user = text
        }
        return Parsed(model: model, request: EmbeddingRequest(inputs: inputs, dimensions: dimensions), base64: base64, user: user)
    }

    /// The answer, written directly: each float in its shortest form that reads back the same (a JSON number), or
    /// base64 of little-endian float32s, as OpenAI sends them.
    static func encode(_ result: EmbeddingResult, model: String, base64: Bool) -> [UInt8] {
        var out = Array(#"{"object":"list","data":["#.utf8)
        out.reserveCapacity(64 + result.vectors.count * (base64 ? 2_100 : 4_200))
        for (index, vector) in result.vectors.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"object":"embedding","index":\#(index),"embedding":"#.utf8)
            if base64 {
                var bytes = [UInt8]()
                bytes.reserveCapacity(vector.count * 4)
                for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
                out.append(UInt8(ascii: "\""))
                out += Array(Data(bytes).base64EncodedString().utf8)
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(UInt8(ascii: "["))
                for (position, value) in vector.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    out += Array((value.isFinite ? "\(value)" : "0").utf8)
                }
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "}"))
        }
        let tokens = result.usage.inputTokens
        out += Array(#"],"model":\#(JSONValue.string(model).jsonString()),"usage":{"prompt_tokens":\#(tokens),"total_tokens":\#(tokens)}}"#.utf8)
        return out
    }
}
