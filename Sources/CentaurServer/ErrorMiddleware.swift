import CentaurCore
import CentaurReview
import CentaurStore
import Hummingbird
import HTTPTypes

/// The body shape a route group answers failures in: the OpenAI or Anthropic dialect for model routes, the
/// onboarding API's `{"error": {"type", "message"}}` for applicants and reviewers.
protocol ErrorShape: Sendable {
    static func response(for error: APIError) -> Response
}

/// Renders whatever a route group's handlers and middleware throw, once, in the group's shape: handlers throw and
/// never build error responses themselves. Add it first to a group (`router.group().add(middleware:)`) so it also
/// renders the authentication and scope failures of the middleware after it.
struct ErrorMiddleware<Shape: ErrorShape>: RouterMiddleware {
    typealias Context = CentaurRequestContext

    init(_ shape: Shape.Type) {}

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Shape.response(for: APIError(any: error))
        }
    }
}

/// An error that knows what it means to an API client.
protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

extension APIError: APIErrorConvertible {
    var apiError: APIError { self }
}

extension ModelError: APIErrorConvertible {
    var apiError: APIError { APIError(self) }
}

extension WorkflowError: APIErrorConvertible {
    var apiError: APIError {
        switch kind {
        case .notFound: return APIError.missing(description)
        case .invalid: return APIError(.invalidRequest, description)
        case .conflict: return APIError(.conflict, description)
        case .unreadableDocument, .wrongDocument:
            var error = APIError(.unprocessable, description)
            error.code = kind.rawValue
            return error
        }
    }
}

extension HTTPError: APIErrorConvertible {
    var apiError: APIError {
        let message = body ?? status.reasonPhrase
        return switch status {
        case .badRequest: APIError(.invalidRequest, message)
        case .unauthorized: APIError(.authentication, message)
        case .forbidden: APIError(.permission, message)
        case .notFound: APIError.missing(message)
        case .contentTooLarge: APIError(.payloadTooLarge, message)
        case .tooManyRequests: APIError(.rateLimited, message)
        default: APIError(.internalError, message)
        }
    }
}

extension APIError {
    /// Any error as a client sees it; one this server does not know is a 500 that says what failed.
    init(any error: any Error) {
        if let known = error as? any APIErrorConvertible {
            self = known.apiError
        } else {
            self.init(.internalError, "the request failed: \(error)")
        }
    }
}
