import CentaurCore
import CentaurGateway
import CentaurStore
import Hummingbird
import HTTPTypes

/// Authenticates a route group's requests by API key: `Authorization: Bearer KEY`, `x-api-key: KEY` (Anthropic's
/// SDKs) or `api-key: KEY` (Azure-style). A key that is sent must be valid; whether one must be sent is the group's
/// choice (`required`: always for `/api/…`, on `--require-keys` for the model routes). Failures are thrown as
/// ``APIError``s for the group's ``ErrorMiddleware`` to render in the group's shape. What a key may do is
/// ``RequireScope``'s job, added after this on the groups that need it.
struct APIKeyAuthentication: RouterMiddleware {
    typealias Context = CentaurRequestContext
    let keys: APIKeyService
    let required: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let secret = Self.secret(from: request.headers) {
            let found: APIKeyRecord?
            do {
                found = try await keys.verify(secret)
            } catch {
                // Fail closed, and say so: the key is neither believed nor called wrong while it cannot be checked.
                throw APIError(.serviceUnavailable, "API keys cannot be checked now (the key store does not answer); try again shortly",
                               retryAfter: .seconds(5))
            }
            guard let record = found else { throw APIError(.authentication, "invalid API key") }
            context.key = record
        } else if required {
            throw APIError(.authentication, "missing API key: send 'Authorization: Bearer KEY' or 'x-api-key: KEY' (create one with `centaur keys create`)")
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

/// Lets through only requests whose key has one of `scopes` (after ``APIKeyAuthentication``).
struct RequireScope: RouterMiddleware {
    typealias Context = CentaurRequestContext
    let scopes: Set<APIKeyRecord.Scope>

    init(_ scopes: APIKeyRecord.Scope...) {
        self.scopes = Set(scopes)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let scope = context.key?.scope, scopes.contains(scope) else {
            let names = APIKeyRecord.Scope.allCases.filter(scopes.contains).map(\.rawValue)
            throw APIError(.permission, "this endpoint needs a key with the \(names.joined(separator: " or ")) scope")
        }
        return try await next(request, context)
    }
}
