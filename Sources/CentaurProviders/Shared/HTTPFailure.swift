import AsyncHTTPClient
import CentaurCore
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Shared mapping of transport failures and HTTP statuses to ``ModelError``s.
enum HTTPFailure {
    /// Maps an error thrown by AsyncHTTPClient or NIO while sending or reading.
    static func map(_ error: any Error, provider: String) -> any Error {
        if error is ModelError || error is CancellationError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout, .deadlineExceeded, .connectTimeout, .writeTimeout:
                return ModelError.timeout("no answer from \(provider) in time (\(error))", provider: provider)
            case .cancelled:
                return CancellationError()
            case .remoteConnectionClosed:
                return ModelError.connection("\(provider) closed the connection before the answer ended", provider: provider)
            default:
                return ModelError.connection("could not talk to \(provider): \(error)", provider: provider)
            }
        }
        if error is ChannelError || error is IOError || error is HTTPParserError {
            return ModelError.connection("could not talk to \(provider): \(error)", provider: provider)
        }
        return ModelError.connection("could not talk to \(provider): \(String(describing: error))", provider: provider)
    }

    /// The ``ModelError`` for an error status, given the message and error type the provider's body carried.
    static func error(
        status: Int, headers: HTTPHeaders, message: String, type: String?, provider: String
    ) -> ModelError {
        let retryAfter = retryAfter(headers)
        let lowered = (message + " " + (type ?? "")).lowercased()
        if isContextTooLong(lowered) {
            return .contextTooLong(message, provider: provider, status: status)
        }
        switch status {
        case 400:
            return .invalidRequest(message, provider: provider, status: status)
        case 401:
            return .authentication(message, provider: provider, status: status)
        case 403:
            if type == "UnrecognizedClientException" || lowered.contains("security token") || lowered.contains("signature") {
                return .authentication(message, provider: provider, status: status)
            }
            return ModelError(kind: .permissionDenied, message: message, provider: provider, status: status)
        case 404:
            return ModelError(kind: .notFound, message: message, provider: provider, status: status)
        case 408:
            return .timeout(message, provider: provider)
        case 413:
            return .contextTooLong(message, provider: provider, status: status)
        case 422:
            return .invalidRequest(message, provider: provider, status: status)
        case 429:
            if type == "ServiceUnavailableException" {
                return .overloaded(message, provider: provider, status: status, retryAfter: retryAfter)
            }
            return .rateLimited(retryAfter: retryAfter, message: message, provider: provider, status: status)
        case 529:
            return .overloaded(message, provider: provider, status: status, retryAfter: retryAfter)
        case 500...599:
            if type == "overloaded_error" || type == "ServiceUnavailableException" {
                return .overloaded(message, provider: provider, status: status, retryAfter: retryAfter)
            }
            if type == "ModelTimeoutException" { return .timeout(message, provider: provider) }
            return .unavailable(message, provider: provider, status: status, retryAfter: retryAfter)
        default:
            return ModelError(kind: .upstream, message: message, provider: provider, status: status, retryAfter: retryAfter)
        }
    }

    static func isContextTooLong(_ lowered: String) -> Bool {
        ["prompt is too long", "context length", "context_length_exceeded", "maximum context", "too many tokens",
         "input is too long", "exceeds the context", "context window"].contains { lowered.contains($0) }
    }

    /// Reads `retry-after-ms`, `retry-after` (seconds or an HTTP date) from response headers.
    static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        if let ms = headers.first(name: "retry-after-ms").flatMap(Double.init), ms >= 0 {
            return .milliseconds(Int64(ms))
        }
        guard let value = headers.first(name: "retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let date = formatter.date(from: value) {
            return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
        }
        return nil
    }

    /// Reads at most `limit` bytes of an error body, for its message.
    static func collectBody(_ response: HTTPClientResponse, limit: Int = 1 << 20) async -> Data {
        (try? await Data(buffer: response.body.collect(upTo: limit))) ?? Data()
    }
}

extension HTTPClientResponse {
    var statusCode: Int { Int(status.code) }
}
