import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurServer
import CentaurStore
import CentaurTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// The onboarding HTTP API in-process: who may reach what, and bad input.
@Suite("Onboarding API", Samples.needed)
struct OnboardingAPITests {
    struct Keys {
        let admin: String
        let reviewer: String
        let gateway: String
    }

    static func withServer(maxBodyBytes: Int = 32 << 20, applicationsPerAddress: Int = 30,
        _ body: @escaping @Sendable (any TestClientProtocol, CentaurServerComponents, Keys) async throws -> Void) async throws {
        let yaml = """
            providers:
              nowhere: { kind: openai, api_key: k, base_url: "http://127.0.0.1:9/v1", flavor: compatible }
            models:
              unused: { provider: nowhere, id: unused }
            default_model: unused
            """
        let configuration = try ConfigurationLoader(environment: [:]).parse(yaml, source: "test.yaml")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let directory = temporaryDirectory("centaur-onboarding-api").path
        do {
            var settings = ServerSettings(port: 0, maxBodyBytes: maxBodyBytes, workerPollInterval: .milliseconds(50))
            settings.applicationsPerAddress = applicationsPerAddress
            let components = try await CentaurServerComponents(
                configuration: configuration, settings: settings,
                dataDirectory: directory, httpClient: client, logger: .init(label: "test"))
            let keys = Keys(admin: try await components.keys.create(name: "root", team: nil, scope: .admin).secret,
                            reviewer: try await components.keys.create(name: "ana", team: "ops", scope: .reviewer).secret,
                            gateway: try await components.keys.create(name: "app", team: nil, scope: .gateway).secret)
            let worker = Task { try await components.worker.run() }
            defer { worker.cancel() }
            try await Application(router: components.makeRouter()).test(.router) { client in
                try await body(client, components, keys)
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func call(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, bearer: String?,
                     body: ByteBuffer? = nil) async throws -> (HTTPResponse.Status, JSONValue) {
        var headers: HTTPFields = [:]
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
        let data = Data(buffer: response.body ?? ByteBuffer())
        return (response.status, (try? JSONValue(parsing: data)) ?? .string(String(decoding: data, as: UTF8.self)))
    }

    static func create(_ client: any TestClientProtocol) async throws -> (id: String, token: String) {
        let (status, json) = try await call(client, .post, "/api/applications", bearer: nil, body: ByteBuffer(string: #"{"market_state":"IL"}"#))
        #expect(status == .created)
        return (try #require(json["id"]?.stringValue), try #require(json["token"]?.stringValue))
    }

    @Test("creating applications is limited per address (no key is needed to create one); X-Forwarded-For from a client changes nothing")
    func creationIsLimited() async throws {
        try await Self.withServer(applicationsPerAddress: 3) { client, components, _ in
            for _ in 0..<3 { _ = try await Self.create(client) }
            for forwarded in [nil, "203.0.113.9"] {
                var headers: HTTPFields = [:]
                if let forwarded { headers[HTTPField.Name("x-forwarded-for")!] = forwarded }
                let refused = try await client.execute(uri: "/api/applications", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
                #expect(refused.status == .tooManyRequests)
                #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
                #expect(String(buffer: refused.body ?? ByteBuffer()).contains("too many applications"))
            }
            #expect(try await components.stores.applications.applications(states: [.created], limit: 100).count == 3)
        }
    }

    @Test("applicant A's token gets 404 for B's application and documents; no token gets 401")
    func applicantIsolation() async throws {
        try await Self.withServer { client, _, _ in
            let a = try await Self.create(client)
            let b = try await Self.create(client)
            #expect(try await Self.call(client, .get, "/api/applications/\(a.id)", bearer: a.token).0 == .ok)
            #expect(try await Self.call(client, .get, "/api/applications/\(b.id)", bearer: a.token).0 == .notFound)
            #expect(try await Self.call(client, .get, "/api/applications/\(a.id)", bearer: nil).0 == .unauthorized)
            #expect(try await Self.call(client, .get, "/api/applications/\(a.id)", bearer: "cat_made-up").0 == .notFound)

            let back = ByteBuffer(bytes: try Samples.data("person-01", "license-back.png"))
            let (uploaded, json) = try await Self.call(client, .post, "/api/applications/\(b.id)/documents?kind=license_back&name=back.png", bearer: b.token, body: back)
            #expect(uploaded == .accepted)
            let documentID = try #require(json["document"]?["id"]?.stringValue)
            #expect(try await Self.call(client, .get, "/api/applications/\(b.id)/documents/\(documentID)", bearer: b.token).0 == .ok)
            #expect(try await Self.call(client, .get, "/api/applications/\(b.id)/documents/\(documentID)", bearer: a.token).0 == .notFound)
            #expect(try await Self.call(client, .get, "/api/applications/\(a.id)/documents/\(documentID)", bearer: a.token).0 == .notFound)
            #expect(try await Self.call(client, .post, "/api/applications/\(b.id)/documents?kind=license_back", bearer: a.token, body: back).0 == .notFound)
        }
    }

    @Test("applicant tokens cannot reach reviewer endpoints; gateway keys cannot either; reviewer keys cannot reach admin endpoints")
    func scopes() async throws {
        try await Self.withServer { client, _, keys in
            let a = try await Self.create(client)
            #expect(try await Self.call(client, .get, "/api/review/queue", bearer: a.token).0 == .unauthorized)
            #expect(try await Self.call(client, .get, "/api/review/applications/\(a.id)", bearer: a.token).0 == .unauthorized)
            #expect(try await Self.call(client, .get, "/api/review/queue", bearer: keys.gateway).0 == .forbidden)
            #expect(try await Self.call(client, .get, "/api/review/queue", bearer: keys.reviewer).0 == .ok)
            #expect(try await Self.call(client, .get, "/api/review/queue", bearer: keys.admin).0 == .ok)
            for path in ["/api/admin/rules", "/api/admin/document-types", "/api/admin/audit/verify", "/api/traces"] {
                #expect(try await Self.call(client, .get, path, bearer: keys.reviewer).0 == .forbidden, "\(path)")
                #expect(try await Self.call(client, .get, path, bearer: keys.admin).0 == .ok, "\(path)")
            }
            let (_, verify) = try await Self.call(client, .get, "/api/admin/audit/verify", bearer: keys.admin)
            #expect(verify["valid"] == true && verify["entries"] == 1)
            // Each route group answers in its own clients' shape: the onboarding API's for review and admin routes,
            // OpenAI's for the trace routes (an SDK-style `code`).
            let (_, noKey) = try await Self.call(client, .get, "/api/review/queue", bearer: nil)
            #expect(noKey["error"]?["type"] == "authentication_error" && noKey["error"]?["message"]?.stringValue?.contains("missing API key") == true)
            let (_, reviewerOnAdmin) = try await Self.call(client, .get, "/api/admin/rules", bearer: keys.reviewer)
            #expect(reviewerOnAdmin["error"]?["type"] == "permission_error" && reviewerOnAdmin["error"]?["message"] == "this endpoint needs a key with the admin scope")
            let (_, gatewayOnReview) = try await Self.call(client, .get, "/api/review/queue", bearer: keys.gateway)
            #expect(gatewayOnReview["error"]?["message"] == "this endpoint needs a key with the reviewer or admin scope")
            let (_, reviewerOnTraces) = try await Self.call(client, .get, "/api/traces", bearer: keys.reviewer)
            #expect(reviewerOnTraces["error"]?["code"] == "insufficient_scope")
            let (badCursor, cursorError) = try await Self.call(client, .get, "/api/traces?cursor=not-a-cursor", bearer: keys.admin)
            #expect(badCursor == .badRequest && cursorError["error"]?["param"] == "cursor")
        }
    }

    @Test("bad input: malformed JSON, unknown kinds, corrupt and oversized files, decisions out of turn")
    func badInput() async throws {
        try await Self.withServer(maxBodyBytes: 1 << 20) { client, _, keys in
            let a = try await Self.create(client)
            let (malformed, error) = try await Self.call(client, .post, "/api/applications/\(a.id)/confirmation", bearer: a.token, body: ByteBuffer(string: "{\"values\": "))
            #expect(malformed == .badRequest)
            #expect(error["error"]?["message"]?.stringValue?.contains("not valid JSON") == true)
            #expect(try await Self.call(client, .post, "/api/applications", bearer: nil, body: ByteBuffer(string: #"{"market_state":"Illinois"}"#)).0 == .badRequest)
            #expect(try await Self.call(client, .post, "/api/applications/\(a.id)/documents?kind=passport", bearer: a.token, body: ByteBuffer(string: "x")).0 == .badRequest)
            let (corrupt, corruptError) = try await Self.call(client, .post, "/api/applications/\(a.id)/documents?kind=i9", bearer: a.token, body: ByteBuffer(string: "%PDF-1.7\nnot really"))
            #expect(corrupt == .unprocessableContent)
            #expect(corruptError["error"]?["type"] == "unreadable_document")
            let big = ByteBuffer(bytes: [UInt8](repeating: 0x89, count: (1 << 20) + 1))
            #expect(try await Self.call(client, .post, "/api/applications/\(a.id)/documents?kind=i9", bearer: a.token, body: big).0 == .contentTooLarge)
            // Confirming before any extraction, deciding before review: conflicts that say why.
            let (early, earlyError) = try await Self.call(client, .post, "/api/applications/\(a.id)/confirmation", bearer: a.token, body: ByteBuffer(string: "{}"))
            #expect(early == .conflict)
            #expect(earlyError["error"]?["message"]?.stringValue?.contains("cannot confirm") == true)
            let decision = ByteBuffer(string: #"{"decision":"approve","reason":"looks fine"}"#)
            #expect(try await Self.call(client, .post, "/api/review/applications/\(a.id)/decision", bearer: keys.reviewer, body: decision).0 == .conflict)
            let (unknown, _) = try await Self.call(client, .post, "/api/review/applications/\(a.id)/decision", bearer: keys.reviewer,
                                                   body: ByteBuffer(string: #"{"decision":"maybe","reason":"x"}"#))
            #expect(unknown == .badRequest)
            #expect(try await Self.call(client, .get, "/api/review/applications/app_nope", bearer: keys.reviewer).0 == .notFound)
            // Nothing above changed the application.
            let (_, view) = try await Self.call(client, .get, "/api/applications/\(a.id)", bearer: a.token)
            #expect(view["state"] == "created")
        }
    }

    @Test("the whole path over HTTP: upload, background extraction, confirmation, review queue, decision")
    func overHTTP() async throws {
        try await Self.withServer { client, components, keys in
            let a = try await Self.create(client)
            for (kind, file) in [("license_front", "license-front.png"), ("license_back", "license-back.png"), ("i9", "i9.pdf")] {
                let body = ByteBuffer(bytes: try Samples.data("person-06", file))
                #expect(try await Self.call(client, .post, "/api/applications/\(a.id)/documents?kind=\(kind)&name=\(file)", bearer: a.token, body: body).0 == .accepted)
            }
            // The worker extracts in the background; poll as a client would.
            var state = ""
            for _ in 0..<600 {
                state = try await Self.call(client, .get, "/api/applications/\(a.id)", bearer: a.token).1["state"]?.stringValue ?? ""
                if state == "awaiting_applicant" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state == "awaiting_applicant")
            let (_, view) = try await Self.call(client, .get, "/api/applications/\(a.id)", bearer: a.token)
            let types = view["extracted"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
            #expect(Set(types) == ["us-drivers-license", "form-i9"])
            let body = ByteBuffer(string: #"{"values":{"us-drivers-license":{"date_of_birth":"1970-01-01"}}}"#)
            let (confirmed, result) = try await Self.call(client, .post, "/api/applications/\(a.id)/confirmation", bearer: a.token, body: body)
            #expect(confirmed == .ok && result["state"] == "in_review")
            let (_, queue) = try await Self.call(client, .get, "/api/review/queue", bearer: keys.reviewer)
            #expect(queue["applications"]?.arrayValue?.first?["id"]?.stringValue == a.id)
            let (_, detail) = try await Self.call(client, .get, "/api/review/applications/\(a.id)", bearer: keys.reviewer)
            #expect(detail["adjustments"]?.arrayValue?.first?["field"] == "date_of_birth")
            #expect(detail["application"]?["id"]?.stringValue == a.id && detail["application"]?["token_hash"] == nil,
                    "the review API never hands out the applicant token's hash")
            #expect(detail["rule_results"]?.arrayValue?.isEmpty == false)
            let decision = ByteBuffer(string: #"{"decision":"reject","reason":"date of birth does not match the licence"}"#)
            // Two reviewers never act on one case: what ana claims, bo can neither decide, correct nor release.
            let bo = try await components.keys.create(name: "bo", team: "ops", scope: .reviewer).secret
            let (claimed, claim) = try await Self.call(client, .post, "/api/review/applications/\(a.id)/claim", bearer: keys.reviewer)
            #expect(claimed == .ok && claim["assignee"] == "reviewer:ana")
            let (other, refusal) = try await Self.call(client, .post, "/api/review/applications/\(a.id)/decision", bearer: bo, body: decision)
            #expect(other == .conflict && refusal["error"]?["message"]?.stringValue?.contains("claimed by reviewer:ana") == true)
            let correction = ByteBuffer(string: #"{"document_type":"us-drivers-license","field":"first_name","value":"X","reason":"typo"}"#)
            #expect(try await Self.call(client, .post, "/api/review/applications/\(a.id)/corrections", bearer: bo, body: correction).0 == .conflict)
            #expect(try await Self.call(client, .post, "/api/review/applications/\(a.id)/release", bearer: bo).0 == .conflict)
            #expect(try await Self.call(client, .post, "/api/review/applications/\(a.id)/release", bearer: keys.reviewer).0 == .ok)
            #expect(try await Self.call(client, .post, "/api/review/applications/\(a.id)/release", bearer: keys.reviewer).0 == .conflict, "not claimed now")
            #expect(try await Self.call(client, .post, "/api/review/applications/\(a.id)/claim", bearer: keys.reviewer).0 == .ok)
            let (decided, final) = try await Self.call(client, .post, "/api/review/applications/\(a.id)/decision", bearer: keys.reviewer, body: decision)
            #expect(decided == .ok && final["state"] == "rejected")
            let (_, audit) = try await Self.call(client, .get, "/api/review/applications/\(a.id)", bearer: keys.reviewer)
            let last = audit["audit"]?.arrayValue?.last
            #expect(last?["action"] == "review.decided" && last?["actor"] == "reviewer:ana")
        }
    }
}

@Suite("docs/openapi.yaml")
struct OpenAPIDocumentTests {
    /// The onboarding routes (`/api/applications…`, `/api/review/…`, `/api/admin/…`) the server's router serves.
    static func registeredRoutes() async throws -> Set<String> {
        let routes = Mutex(Set<String>())
        try await OnboardingAPITests.withServer { _, components, _ in
            for route in components.makeRouter().routes {
                let path = "/" + route.path.description.split(separator: "/").joined(separator: "/")
                guard ["/api/applications", "/api/review/", "/api/admin/"].contains(where: path.hasPrefix) else { continue }
                routes.withLock { _ = $0.insert("\(route.method.rawValue.lowercased()) \(path)") }
            }
        }
        return routes.withLock { $0 }
    }

    /// `  /api/…:` path keys with their `    get:` / `    post:` operations.
    static func documentedRoutes() throws -> Set<String> {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var routes = Set<String>()
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            if !line.hasPrefix(" ") { path = nil }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let path, line.hasPrefix("    "), !line.hasPrefix("     "), ["get:", "post:", "put:", "delete:"].contains(trimmed) {
                routes.insert("\(trimmed.dropLast()) \(path)")
            }
        }
        return routes
    }

    @Test("every onboarding route is documented, and every documented route exists")
    func matches() async throws {
        let registered = try await Self.registeredRoutes()
        let documented = try Self.documentedRoutes()
        #expect(registered.count >= 15)
        #expect(registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented but not served: \(documented.subtracting(registered).sorted())")
    }
}
