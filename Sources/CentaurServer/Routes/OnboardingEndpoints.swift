import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurStore
import CentaurWeb
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The onboarding API (docs/openapi.yaml):
/// - applicant, by the application's link token (`Authorization: Bearer cat_…`): `POST /api/applications`,
///   `GET /api/applications/{id}`, `POST /api/applications/{id}/documents?kind=…`, `GET …/documents/{documentID}`,
///   `POST /api/applications/{id}/confirmation`;
/// - reviewer (keys with the reviewer or admin scope): `/api/review/…`;
/// - admin: `/api/admin/…`.
/// Another application's token gets a 404, as if the application did not exist.
struct OnboardingEndpoints: Sendable {
    let service: OnboardingService
    let settings: ServerSettings
    /// Applications created per client address (`ServerSettings.applicationsPerAddress` in 15 minutes).
    let creations = SlidingWindowLimiter()

    /// Registers the applicant routes on `applicant` (authorised by the application's token in each handler), the
    /// review routes on `reviewer` and the admin routes on `admin` (groups that check the key's scope).
    func register(applicant: RouterGroup<CentaurRequestContext>, reviewer: RouterGroup<CentaurRequestContext>, admin: RouterGroup<CentaurRequestContext>) {
        // Applicant
        applicant.post("/api/applications") { request, context in
            // Creation needs no key, so it is limited per address: a script cannot fill the queue and the disk.
            let address = context.clientAddress(forwardedFor: request.headers[HTTPField.Name("x-forwarded-for")!], trustedProxies: settings.trustedProxies)
            let now = service.now()
            if let wait = creations.wait("create:\(address)", limit: settings.applicationsPerAddress, now: now) {
                throw APIError(.rateLimited, "too many applications from this address; try again in \(wait) seconds", retryAfter: .seconds(wait))
            }
            creations.record("create:\(address)", now: now)
            return try await respond(status: .created) {
                let body = try await json(request, optional: true)
                let marketState = try body["market_state"].map { value -> String in
                    guard let text = value.stringValue else { throw WorkflowError(.invalid, "market_state: expected a string") }
                    return text
                }
                let (application, token) = try await service.create(marketState: marketState)
                return ["id": .string(application.id), "token": .string(token), "state": .string(application.state.rawValue)]
            }
        }
        applicant.get("/api/applications/{id}") { request, context in
            try await respond {
                let id = try await authorizeApplicant(request, context)
                return try encode(try await service.applicantView(applicationID: id))
            }
        }
        applicant.post("/api/applications/{id}/documents") { request, context in
            try await respond(status: .accepted) {
                let id = try await authorizeApplicant(request, context)
                let parameters = request.uri.queryParameters
                let kindName = parameters["kind"].map(String.init) ?? "other"
                guard let kind = DocumentKind(rawValue: kindName) else {
                    throw WorkflowError(.invalid, "kind must be one of \(DocumentKind.allCases.map(\.rawValue).joined(separator: ", ")) (got \"\(kindName)\")")
                }
                let name = parameters["name"].map(String.init) ?? "\(kind.rawValue)-upload"
                let data = try await body(request)
                guard !data.isEmpty else { throw WorkflowError(.unreadableDocument, "the upload is empty: send the file's bytes as the request body") }
                let document = try await service.upload(applicationID: id, kind: kind, name: name, data: data)
                let view = try await service.applicantView(applicationID: id)
                return ["document": try encode(document), "state": .string(view.state.rawValue), "extraction_pending": .bool(view.extractionPending)]
            }
        }
        applicant.get("/api/applications/{id}/documents/{documentID}") { request, context in
            let id = try await authorizeApplicant(request, context)
            return try await documentResponse(id, context.parameters.get("documentID") ?? "")
        }
        applicant.post("/api/applications/{id}/confirmation") { request, context in
            try await respond {
                let id = try await authorizeApplicant(request, context)
                let body = try await json(request, optional: true)
                var values: [String: [String: JSONValue]] = [:]
                if let given = body["values"], given != .null {
                    guard case .object(let types) = given else { throw WorkflowError(.invalid, "values: expected {\"document-type\": {\"field\": value}}") }
                    for (type, fields) in types {
                        guard case .object(let fieldValues) = fields else { throw WorkflowError(.invalid, "values.\(type): expected an object of field values") }
                        values[type] = fieldValues
                    }
                }
                let application = try await service.confirm(applicationID: id, values: values)
                return ["id": .string(application.id), "state": .string(application.state.rawValue)]
            }
        }

        // Reviewer
        reviewer.get("/api/review/queue") { _, _ in
            try await respond { ["applications": try encode(try await service.queue())] }
        }
        reviewer.get("/api/review/applications/{id}") { _, context in
            try await respond { try encode(try await service.detail(applicationID: context.parameters.get("id") ?? "")) }
        }
        reviewer.get("/api/review/applications/{id}/documents/{documentID}") { _, context in
            try await documentResponse(context.parameters.get("id") ?? "", context.parameters.get("documentID") ?? "")
        }
        reviewer.post("/api/review/applications/{id}/claim") { _, context in
            try await respond {
                let application = try await service.claim(applicationID: context.parameters.get("id") ?? "", reviewer: Self.actor(context))
                return ["id": .string(application.id), "state": .string(application.state.rawValue), "assignee": application.assignee.map(JSONValue.string) ?? .null]
            }
        }
        reviewer.post("/api/review/applications/{id}/release") { _, context in
            try await respond {
                let application = try await service.release(applicationID: context.parameters.get("id") ?? "", reviewer: Self.actor(context))
                return ["id": .string(application.id), "state": .string(application.state.rawValue), "assignee": .null]
            }
        }
        reviewer.post("/api/review/applications/{id}/corrections") { request, context in
            try await respond {
                let body = try await json(request, optional: false)
                let application = try await service.correct(
                    applicationID: context.parameters.get("id") ?? "", documentType: try Self.string(body, "document_type"),
                    field: try Self.string(body, "field"), value: body["value"] ?? .null, reason: try Self.string(body, "reason"),
                    reviewer: Self.actor(context))
                return ["id": .string(application.id), "state": .string(application.state.rawValue)]
            }
        }
        reviewer.post("/api/review/applications/{id}/decision") { request, context in
            try await respond {
                let body = try await json(request, optional: false)
                let name = try Self.string(body, "decision")
                guard let decision = ReviewDecision(rawValue: name) else {
                    throw WorkflowError(.invalid, "decision must be one of \(ReviewDecision.allCases.map(\.rawValue).joined(separator: ", ")) (got \"\(name)\")")
                }
                let application = try await service.decide(applicationID: context.parameters.get("id") ?? "", decision: decision,
                                                           reason: try Self.string(body, "reason"), reviewer: Self.actor(context))
                return ["id": .string(application.id), "state": .string(application.state.rawValue)]
            }
        }

        // Admin
        admin.get("/api/admin/document-types") { _, _ in
            try await respond {
                ["document_types": .array(DocumentType.builtIn.map { type in
                    ["id": .string(type.id), "version": .number(Double(type.version)), "title": .string(type.title), "schema": type.schemaValue]
                })]
            }
        }
        admin.get("/api/admin/rules") { _, _ in
            try await respond {
                let rules = service.ruleSet
                return ["id": .string(rules.id), "version": .number(Double(rules.version)), "description": .string(rules.description),
                        "rules": .array(rules.rules.map { rule in
                            ["id": .string(rule.id), "version": .number(Double(rule.version)), "severity": .string(rule.severity.rawValue),
                             "description": .string(rule.description), "when": .string(rule.source)]
                        })]
            }
        }
        admin.get("/api/admin/audit/verify") { request, _ in
            try await respond {
                var anchor: AuditVerification.Anchor?
                if let text = request.uri.queryParameters["head"].map(String.init) {
                    guard let parsed = AuditVerification.Anchor(text) else {
                        throw WorkflowError(.invalid, "head must be SEQ:HASH as `centaur audit head` prints it (got \"\(text)\")")
                    }
                    anchor = parsed
                }
                return try encode(try await service.verifyAudit(anchor: anchor))
            }
        }
        admin.get("/api/admin/dataset/stats") { _, _ in
            try await respond { ["fields": try encode(try await service.fieldErrorRates())] }
        }
    }

    // MARK: Helpers

    /// The application id in the path, if the bearer token is that application's; otherwise 404 (or 401 without a token).
    private func authorizeApplicant(_ request: Request, _ context: CentaurRequestContext) async throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard let token = APIKeyAuthentication.secret(from: request.headers) else {
            throw APIError(.authentication, "missing application token: send 'Authorization: Bearer TOKEN' (the token POST /api/applications returned)")
        }
        guard let application = try await service.application(token: token), application.id == id else {
            throw WorkflowError(.notFound, "no application \(id)")
        }
        return id
    }

    private func documentResponse(_ applicationID: String, _ documentID: String) async throws -> Response {
        let (record, data) = try await service.documentData(applicationID: applicationID, documentID: documentID)
        return SecurityHeaders.document(record, data)
    }

    private func body(_ request: Request) async throws -> Data {
        var request = request
        do {
            return Data(buffer: try await request.collectBody(upTo: settings.maxBodyBytes))
        } catch {
            throw APIError(.payloadTooLarge, "the request body is larger than the limit of \(settings.maxBodyBytes) bytes")
        }
    }

    private func json(_ request: Request, optional: Bool) async throws -> JSONValue {
        let data = try await body(request)
        if data.isEmpty, optional { return .object([:]) }
        let value: JSONValue
        do { value = try JSONValue(parsing: data) } catch {
            throw WorkflowError(.invalid, "the body is not valid JSON: \(error)")
        }
        guard case .object = value else { throw WorkflowError(.invalid, "the body must be a JSON object") }
        return value
    }

    private static func string(_ body: JSONValue, _ key: String) throws -> String {
        guard let value = body[key], value != .null else { throw WorkflowError(.invalid, "\(key) is required") }
        guard let text = value.stringValue else { throw WorkflowError(.invalid, "\(key): expected a string") }
        return text
    }

    private static func actor(_ context: CentaurRequestContext) -> String {
        context.key.map { "reviewer:\($0.name)" } ?? "reviewer:unknown"
    }

    private func encode(_ value: some Encodable) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try JSONValue(parsing: try encoder.encode(value))
    }

    private func respond(status: HTTPResponse.Status = .ok, _ body: () async throws -> JSONValue) async throws -> Response {
        JSONResponse.json(try await body(), status: status)
    }
}

/// The onboarding API's error shape, `{"error": {"type", "message"}}` (docs/openapi.yaml), with the status the
/// failure deserves.
enum OnboardingErrors: ErrorShape {
    static func response(for error: APIError) -> Response {
        let type: String =
            error.code ?? {
                switch error.kind {
                case .invalidRequest: "invalid_request"
                case .authentication: "authentication_error"
                case .permission: "permission_error"
                case .notFound: "not_found"
                case .conflict: "conflict"
                case .payloadTooLarge: "request_too_large"
                case .unprocessable: "unprocessable"
                case .rateLimited: "rate_limited"
                case .overloaded, .unavailable, .timeout, .serviceUnavailable: "unavailable"
                case .internalError: "internal_error"
                }
            }()
        return JSONResponse.error(["error": ["type": .string(type), "message": .string(error.message)]], status: error.status, retryAfter: error.retryAfter)
    }
}
