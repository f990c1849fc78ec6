import CentaurCore
import Foundation
import HTTPTypes

/// An error answered to a client, rendered in the shape of the API the client speaks.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case invalidRequest, authentication, permission, notFound, payloadTooLarge, rateLimited, overloaded, unavailable, timeout, internalError
        /// Centaur itself cannot decide now (a store it needs does not answer): 503, try again shortly.
        case serviceUnavailable
        /// Not allowed in the resource's present state (409).
        case conflict
        /// Well-formed but not what was asked for, such as an unreadable document (422).
        case unprocessable
    }

    public var kind: Kind
    public var message: String
    /// The JSON path of the offending field, for invalid requests.
    public var param: String?
    public var retryAfter: Duration?
    /// A specific OpenAI `code` (such as `guardrail_violation`), overriding the kind's.
    public var code: String?

    public init(_ kind: Kind, _ message: String, param: String? = nil, retryAfter: Duration? = nil) {
        self.kind = kind
        self.message = message
        self.param = param
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    public static func invalid(_ path: String, _ message: String) -> APIError {
        APIError(.invalidRequest, "\(path): \(message)", param: path)
    }

    /// Something other than a model that does not exist (a trace, an eval run): code `not_found`, not `model_not_found`.
    public static func missing(_ message: String) -> APIError {
        var error = APIError(.notFound, message)
        error.code = "not_found"
        return error
    }

    /// The error a model failure becomes at the edge.
    public init(_ error: ModelError) {
        let kind: Kind =
            switch error.kind {
            case .rateLimited: .rateLimited
            case .overloaded: .overloaded
            case .storeUnavailable: .serviceUnavailable
            case .unavailable, .connection, .malformedResponse, .upstream: .unavailable
            case .timeout: .timeout
            case .authentication, .permissionDenied: .unavailable  // the gateway's upstream credentials, not the caller's
            case .notFound: .notFound
            case .contextTooLong, .invalidRequest, .schemaViolation, .refused, .guardrail: .invalidRequest
            default: .internalError
            }
        self.init(kind, error.message, retryAfter: error.retryAfter)
        if error.kind == .guardrail { code = "guardrail_violation" }
    }

    /// The HTTP status of this kind (a dialect may answer some kinds with its own: ``CompatibleAPI/status(for:)``).
    public var status: HTTPResponse.Status {
        switch kind {
        case .invalidRequest: .badRequest
        case .authentication: .unauthorized
        case .permission: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .unprocessable: .unprocessableContent
        case .rateLimited: .tooManyRequests
        case .overloaded, .serviceUnavailable: .serviceUnavailable
        case .unavailable: .badGateway
        case .timeout: .gatewayTimeout
        case .internalError: .internalServerError
        }
    }
}

/// Reads a client's JSON body with errors that name the offending path.
struct JSONReader {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String = "$") {
        self.value = value
        self.path = path
    }

    subscript(key: String) -> JSONReader? {
        guard let child = value[key], child != .null else { return nil }
        return JSONReader(child, path: "\(path).\(key)")
    }

    func require(_ key: String) throws -> JSONReader {
        guard let child = self[key] else { throw APIError.invalid("\(path).\(key)", "is required") }
        return child
    }

    func string() throws -> String {
        guard let s = value.stringValue else { throw APIError.invalid(path, "expected a string") }
        return s
    }

    func int() throws -> Int {
        guard let i = value.intValue else { throw APIError.invalid(path, "expected an integer") }
        return i
    }

    func double() throws -> Double {
        guard let d = value.doubleValue else { throw APIError.invalid(path, "expected a number") }
        return d
    }

    /// A number within `range` (sampling parameters).
    func double(in range: ClosedRange<Double>) throws -> Double {
        let d = try double()
        guard range.contains(d) else { throw APIError.invalid(path, "must be between \(Int(range.lowerBound)) and \(Int(range.upperBound))") }
        return d
    }

    /// A JSON Schema (tool parameters, structured output): refused with every problem when it is none.
    func schema() throws -> JSONValue {
        let problems = JSONSchema.problems(in: value, path: path)
        guard problems.isEmpty else { throw APIError.invalid(path, "is not a valid JSON Schema: \(problems.prefix(3).joined(separator: "; "))") }
        return value
    }

    func bool() throws -> Bool {
        guard let b = value.boolValue else { throw APIError.invalid(path, "expected true or false") }
        return b
    }

    func array() throws -> [JSONReader] {
        guard let items = value.arrayValue else { throw APIError.invalid(path, "expected an array") }
        return items.enumerated().map { JSONReader($1, path: "\(path)[\($0)]") }
    }

    func object() throws -> [String: JSONValue] {
        guard let object = value.objectValue else { throw APIError.invalid(path, "expected an object") }
        return object
    }

    /// A string or an array of strings.
    func strings() throws -> [String] {
        if let single = value.stringValue { return [single] }
        return try array().map { try $0.string() }
    }

    /// Decodes `data:MEDIA;base64,DATA`.
    func dataURL() throws -> (mediaType: String, data: Data) {
        let url = try string()
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else {
            throw APIError.invalid(path, "only data: URLs with base64 content are accepted (remote URLs are not fetched)")
        }
        let mediaType = String(url[url.index(url.startIndex, offsetBy: 5)..<comma].dropLast(7))
        guard let data = Data(base64Encoded: String(url[url.index(after: comma)...])) else {
            throw APIError.invalid(path, "the base64 data is not valid")
        }
        return (mediaType, data)
    }
}

/// Parses a request body as JSON, with a 400 that says where it is malformed.
func parseBody(_ data: Data) throws -> JSONValue {
    guard !data.isEmpty else { throw APIError(.invalidRequest, "the request body is empty; send a JSON object") }
    do {
        let value = try JSONValue(parsing: data)
        guard value.objectValue != nil else { throw APIError(.invalidRequest, "the request body must be a JSON object") }
        return value
    } catch let error as JSONValue.ParseError {
        throw APIError(.invalidRequest, "the request body is not valid JSON: \(error.reason)")
    }
}
