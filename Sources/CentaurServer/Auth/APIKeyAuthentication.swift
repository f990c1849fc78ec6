import CentaurCore
import CentaurGateway
import CentaurStore
import Hummingbird
import HTTPTypes

/// Authenticates `/v1/*` and `/api/*` requests by API key: `Authorization: Bearer KEY`, `x-api-key: KEY`
/// (Anthropic's SDKs) or `api-key: KEY` (Azure-style). Review routes (`/api/review/*`) need the reviewer or admin
/// scope, other `/api/*` routes the admin scope. Applicant routes (`/api/applications*`) are authorised by the
/// application's own token in their handlers. Failures answer in the shape of the API the path belongs to.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = CentaurRequestContext
    let keys: APIKeyService
    let requireKeys: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/api/applications" || path.hasPrefix("/api/applications/") { return try await next(request, context) }
        let isAdmin = path.hasPrefix("/api/")
        let isReview = path.hasPrefix("/api/review/")
        guard isAdmin || path.hasPrefix("/v1/") else { return try await next(request, context) }
        let anthropic = path.hasPrefix("/v1/messages")
        var context = context
        if let secret = Self.secret(from: request.headers) {
            guard let record = try await keys.verify(secret) else {
                return ErrorResponses.response(APIError(.authentication, "invalid API key"), anthropic: anthropic)
            }
            context.key = record
        } else if requireKeys || isAdmin {
            return ErrorResponses.response(
                APIError(.authentication, "missing API key: send 'Authorization: Bearer KEY' or 'x-api-key: KEY' (create one with `centaur keys create`)"),
                anthropic: anthropic)
        }
        if isReview, context.key?.scope != .reviewer, context.key?.scope != .admin {
            return ErrorResponses.response(APIError(.permission, "this endpoint needs a key with the reviewer or admin scope"), anthropic: false)
        }
        if isAdmin, !isReview, context.key?.scope != .admin {
            return ErrorResponses.response(APIError(.permission, "this endpoint needs a key with the admin scope"), anthropic: false)
        }
        return try await next(request, context)
    }

    /// The token of `Bearer TOKEN` (scheme in any case, spaces around the token dropped), or nil for another scheme.
    static func bearerToken(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        let scheme = "bearer ".utf8
        guard bytes.hasASCIIPrefix(lowercased: scheme) else { return nil }
        var start = scheme.count, end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    static func secret(from headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization], let token = bearerToken(authorization) {
            return token.isEmpty ? nil : token
        }
        if let key = headers[.xAPIKey], !key.isEmpty { return key }
        if let key = headers[.azureAPIKey], !key.isEmpty { return key }
        return nil
    }
}
