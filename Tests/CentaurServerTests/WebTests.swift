import CentaurConfiguration
import AsyncHTTPClient
import CentaurCore
import CentaurGateway
import CentaurReview
@testable import CentaurServer
@testable import CentaurWeb
import CentaurExtraction
import CentaurStore
import Crypto
import CentaurTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Web pages")
struct WebTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// Renders a template with a fixed view model and compares it with its golden file byte for byte
    /// (CENTAUR_RECORD_GOLDEN=1 rewrites the files).
    static func check<Content>(_ template: String, _ view: Page<Content>) throws {
        let html = try #require(try WebPages.loadTemplates().library.render(view, withTemplate: template))
        let file = golden.appendingPathComponent("\(template).html")
        if ProcessInfo.processInfo.environment["CENTAUR_RECORD_GOLDEN"] == "1" {
            try html.write(to: file, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(html == expected, "\(template) differs from Golden/\(template).html")
    }

    static let user = PageUser(username: "ana", role: "reviewer", admin: false, csrf: "CSRF123")

    @Test("golden HTML of the sign-in, queue and application pages")
    func goldens() throws {
        try Self.check("login", Page("Sign in", csrf: "LOGINCSRF", LoginPage(next: "/review", error: "Wrong username or password.", username: "ana")))
        try Self.check("queue", Page("Review queue", user: Self.user, csrf: "CSRF123", QueuePage(
            items: [
                QueueRow(id: "app_1", risk: 105, created: "2026-11-23 10:00 UTC", waiting: "3 h 12 min", applicant: "JANE Q SAMPLETON",
                         summary: "block: license_expired — The driver licence has expired.", more: "+2 more", first: true),
                QueueRow(id: "app_2", risk: 3, created: "2026-11-23 11:00 UTC", waiting: "2 h 12 min", applicant: "name not read",
                         summary: "sources disagree on form-i9.ssn", more: "", assignee: "reviewer:bo", first: false),
            ],
            filters: [QueueFilterLink(href: "/review", title: "All", current: true), QueueFilterLink(href: "/review?filter=mine", title: "Claimed by me", current: false)],
            filtered: false)))
        let disagreement = "sources disagree on form-i9.ssn: form_fields=\"123456789\", layout_text=\"123456780\""
        var application = ApplicationPage(
            id: "app_1", state: "in_review", risk: 13, reasons: [disagreement],
            documents: [DocumentView(id: "doc_1", application: "app_1", kind: "license_back", name: "back.png", image: true, superseded: false)],
            extracted: [ExtractedDocumentView(type: "form-i9", fields: [
                ExtractedFieldView(name: "ssn", type: "form-i9", value: "123456789",
                                   sources: [SourceValueView(source: "form_fields", value: "123456789"), SourceValueView(source: "layout_text", value: "123456780")],
                                   disagreement: true, highRisk: true, adjusted: false),
                ExtractedFieldView(name: "last_name", type: "form-i9", value: "ROE", sources: [SourceValueView(source: "form_fields", value: "ROE")],
                                   disagreement: false, highRisk: false, adjusted: true),
            ])],
            rules: [FiredRuleView(severity: "review", rule: "ssn_invalid_area", description: "The SSN's area number is never issued.")],
            adjustments: [AdjustmentView(actor: "applicant", documentType: "form-i9", field: "last_name", before: "\"RAE\"", after: "\"ROE\"")],
            inReview: true, fieldOptions: ["form-i9.ssn", "form-i9.last_name"],
            reasonGroups: [ReasonGroupView(title: "Sources that disagree", reasons: [disagreement])],
            hasEvidence: true,
            evidence: [EvidenceRow(document: "licence", label: "date of birth", value: "1990-07-04", printed: "07041990", seenBy: "barcode (back.png)",
                                   confirmedBy: "front.png", status: "verified", statusText: "✓ verified"),
                       EvidenceRow(document: "I-9", label: "Social Security number", value: "123456789", seenBy: "form_fields (i9.pdf)",
                                   confirmedBy: "—", status: "disagreement", statusText: "✗ sources disagree")],
            hasUngrounded: true, ungrounded: [UngroundedView(field: "suffix", value: "JR", source: "model:small", document: "front.png")],
            audit: [AuditRow(seq: 1, at: "2026-11-23T10:00:00.000Z", when: "2026-11-23 10:00 UTC", actor: "applicant", action: "application.created",
                             sentence: "created the application", after: "{\"state\":\"created\"}")])
        application.claimable = true
        try Self.check("application", Page("Application app_1", user: Self.user, csrf: "CSRF123", application))
    }

    @Test("image sizes are read from PNG and JPEG headers, for outlining values on the document",
          .enabled(if: FileManager.default.fileExists(atPath: repository.appendingPathComponent(".centaur/samples/person-01/license-front.jpg").path)))
    func imageSizes() throws {
        let samples = Self.repository.appendingPathComponent(".centaur/samples/person-01")
        let png = try #require(ImageSize.of(try Data(contentsOf: samples.appendingPathComponent("license-front.png"))))
        #expect(png.width == 1100 && png.height == 700)
        let jpeg = try #require(ImageSize.of(try Data(contentsOf: samples.appendingPathComponent("license-front.jpg"))))
        #expect(jpeg.width == 1100 && jpeg.height == 700)
        let back = try #require(ImageSize.of(try Data(contentsOf: samples.appendingPathComponent("license-back.png"))))
        #expect(back.width == 1112 && back.height == 356, "ZXingWriter's rendering of the barcode, as file(1) reads it")
        #expect(ImageSize.of(Data("%PDF-1.7".utf8)) == nil)
    }

    @Test("after sign-in only paths on this site are followed: backslashes, tabs and schemes go to the default page")
    func safeNext() {
        #expect(WebPages.safeNext("/review/applications/app_1") == "/review/applications/app_1")
        #expect(WebPages.safeNext("/review?x=1") == "/review?x=1")
        for evil in ["//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "https://evil.example", "/%0a/x\u{0}",
                     "evil.example", "\\\\evil.example", "/ /evil.example", nil] as [String?] {
            #expect(WebPages.safeNext(evil) == "/review", "\(String(describing: evil))")
        }
    }

    @Test("the sign-in limit ignores X-Forwarded-For from the client, counts per account from any address, and believes a trusted proxy")
    func signInLimits() async throws {
        let store = InMemoryStore()
        try await store.insert(UserRecord(id: "usr_ana", username: "ana", passwordHash: try await PasswordHasher.hash("right", rounds: 1 << 10),
                                          role: .reviewer, createdAt: Date()))
        let sessions = WebSessions(store: store)
        // Twenty guesses from twenty addresses: the account is then throttled everywhere, even for the right password.
        for n in 0..<20 {
            guard case .wrongCredentials = try await sessions.login(username: "ana", password: "guess \(n)", address: "10.0.0.\(n)") else {
                Issue.record("guess \(n) was not refused as wrong"); return
            }
        }
        guard case .throttled = try await sessions.login(username: "ana", password: "right", address: "10.9.9.9") else {
            Issue.record("the account should be throttled after 20 failures from any address"); return
        }
        // An unknown name is refused like a wrong password (and costs a hash, checked by the decoy's format).
        guard case .wrongCredentials = try await sessions.login(username: "nobody", password: "x", address: "10.1.1.1") else {
            Issue.record("an unknown user must look like a wrong password"); return
        }
        #expect(WebSessions.decoyHash.split(separator: "$").count == 6)

        // The client's own X-Forwarded-For is not the address: the peer is, unless the peer is a trusted proxy.
        let peer = "192.0.2.7"
        #expect(ClientAddress.of(peer: peer, forwardedFor: "1.2.3.4", trustedProxies: []) == "192.0.2.7")
        #expect(ClientAddress.of(peer: peer, forwardedFor: "1.2.3.4, 198.51.100.9", trustedProxies: ["192.0.2.7"]) == "198.51.100.9")
        #expect(ClientAddress.of(peer: peer, forwardedFor: "1.2.3.4, 198.51.100.9", trustedProxies: ["192.0.2.7", "198.51.100.9"]) == "1.2.3.4")
        #expect(ClientAddress.of(peer: nil, forwardedFor: "1.2.3.4", trustedProxies: []) == "unknown")
    }

    /// The generated samples (`scripts/generate-samples`, which needs ../shared): absent in a fresh clone elsewhere,
    /// required by `scripts/test` whenever ../shared is there.
    static var samplesNeeded: ConditionTrait {
        .enabled(if: FileManager.default.fileExists(atPath: repository.appendingPathComponent(".centaur/samples/manifest.json").path)
                     || ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_SAMPLES"] == "1", "run scripts/generate-samples (needs ../shared)")
    }

    static func withServer(logger: Logger = Logger(label: "test"),
                           _ body: @escaping @Sendable (any TestClientProtocol, CentaurServerComponents) async throws -> Void) async throws {
        let configuration = try ConfigurationLoader(environment: [:]).parse("""
            providers:
              nowhere: { kind: openai, api_key: k, base_url: "http://127.0.0.1:9/v1", flavor: compatible }
            models:
              unused: { provider: nowhere, id: unused }
            default_model: unused
            """, source: "test.yaml")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-web-\(UUID().uuidString)").path
        do {
            let components = try await CentaurServerComponents(configuration: configuration, settings: ServerSettings(port: 0), dataDirectory: directory,
                                                         httpClient: client, evalReport: { run, results in "<!doctype html><h1>report of \(run.description): \(results.count) results</h1>" },
                                                         logger: logger)
            for (name, role) in [("ana", UserRecord.Role.reviewer), ("root", .admin)] {
                try await components.stores.users.insert(UserRecord(id: "usr_\(name)", username: name, passwordHash: try await PasswordHasher.hash("correct horse \(name)", rounds: 1 << 10),
                                                             role: role, createdAt: Date()))
            }
            try await Application(router: components.makeRouter()).test(.router) { http in try await body(http, components) }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Opens the sign-in form (its CSRF cookie and token), then posts it.
    static func login(_ http: any TestClientProtocol, _ name: String, password: String? = nil, csrf: Bool = true) async throws -> TestResponse {
        let form = try await http.execute(uri: "/review/login", method: .get)
        let cookie = Self.cookie(form)
        let token = String(cookie.split(separator: "=", maxSplits: 1).last ?? "")
        let fields = "username=\(name)&password=\((password ?? "correct horse \(name)").replacingOccurrences(of: " ", with: "+"))&next=%2Freview"
        return try await http.execute(uri: "/review/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                                      body: ByteBuffer(string: fields + (csrf ? "&_csrf=\(token)" : "")))
    }

    static func cookie(_ response: TestResponse) -> String {
        String((response.headers[.setCookie] ?? "").split(separator: ";").first ?? "")
    }

    @Test("sign-in: wrong passwords fail and are rate-limited; the session cookie is HttpOnly, Secure and SameSite")
    func signIn() async throws {
        try await Self.withServer { http, components in
            let anonymous = try await http.execute(uri: "/review", method: .get)
            #expect(anonymous.status == .seeOther && anonymous.headers[.location] == "/review/login?next=/review")
            #expect(try await http.execute(uri: "/ops", method: .get).status == .seeOther)
            let form = try await http.execute(uri: "/review/login", method: .get)
            #expect(String(buffer: form.body).contains("<label for=\"password\">Password</label>"))
            #expect(try await Self.login(http, "root", csrf: false).status == .forbidden, "a sign-in posted without its CSRF token")
            for _ in 0..<5 { #expect(try await Self.login(http, "ana", password: "wrong password").status == .unauthorized) }
            let throttled = try await Self.login(http, "ana")
            #expect(throttled.status == .tooManyRequests && throttled.headers[.retryAfter] != nil)
            let ok = try await Self.login(http, "root")
            #expect(ok.status == .seeOther && ok.headers[.location] == "/review")
            let setCookie = ok.headers[.setCookie] ?? ""
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("Secure") && setCookie.contains("SameSite=Strict"))
            let queue = try await http.execute(uri: "/review", method: .get, headers: [.cookie: Self.cookie(ok)])
            #expect(queue.status == .ok && String(buffer: queue.body).contains("Review queue"))
            // Signing in again ends the earlier session.
            let again = try await Self.login(http, "root")
            #expect(try await http.execute(uri: "/review", method: .get, headers: [.cookie: Self.cookie(again)]).status == .ok)
            #expect(try await http.execute(uri: "/review", method: .get, headers: [.cookie: Self.cookie(ok)]).status == .seeOther)
            // A disabled user's session ends and they cannot sign in; enabled again, they can.
            #expect(try await components.stores.users.setDisabled(username: "root", at: Date()))
            #expect(try await http.execute(uri: "/review", method: .get, headers: [.cookie: Self.cookie(again)]).status == .seeOther)
            #expect(try await Self.login(http, "root").status == .unauthorized)
            #expect(try await components.stores.users.setDisabled(username: "root", at: nil))
            #expect(try await Self.login(http, "root").status == .seeOther)
        }
    }

    /// The inline scripts of a page, each as its CSP source (`'sha256-…'`).
    static func scriptSources(_ html: String) -> [String] {
        var sources: [String] = []
        var rest = Substring(html)
        while let open = rest.range(of: "<script>"), let close = rest[open.upperBound...].range(of: "</script>") {
            sources.append("'sha256-\(Data(SHA256.hash(data: Data(rest[open.upperBound..<close.lowerBound].utf8))).base64EncodedString())'")
            rest = rest[close.upperBound...]
        }
        return sources
    }

    @Test("security headers: nosniff and no-referrer everywhere; pages run only their own scripts and are never framed; documents are sandboxed", samplesNeeded)
    func securityHeaders() async throws {
        try await Self.withServer { http, components in
            let (application, token) = try await components.onboarding.create(marketState: "IL")
            let sample = Self.repository.appendingPathComponent(".centaur/samples/person-01/license-back.png")
            guard let back = FileManager.default.contents(atPath: sample.path) else {
                Issue.record("run scripts/generate-samples")
                return
            }
            let document = try await components.onboarding.upload(applicationID: application.id, kind: .licenseBack, name: "x<script>.png\"; evil", data: back).id
            let login = try await http.execute(uri: "/review/login", method: .get)
            let apply = try await http.execute(uri: "/apply/\(token)", method: .get)
            let queue = try await http.execute(uri: "/review", method: .get, headers: [.cookie: Self.cookie(try await Self.login(http, "ana"))])
            let health = try await http.execute(uri: "/healthz", method: .get)
            let missing = try await http.execute(uri: "/api/applications/nope", method: .get)
            for response in [login, apply, queue, health, missing] {
                #expect(response.headers[HTTPField.Name("x-content-type-options")!] == "nosniff")
                #expect(response.headers[HTTPField.Name("referrer-policy")!] == "no-referrer")
            }
            let applyHTML = String(buffer: apply.body)
            #expect(apply.status == .ok && !Self.scriptSources(applyHTML).isEmpty, "the applicant page has its upload script")
            #expect(!applyHTML.contains("'Bearer \(token)'"), "the token reaches the script through a data attribute")
            for page in [login, apply, queue] {
                let policy = try #require(page.headers[HTTPField.Name("content-security-policy")!])
                #expect(policy.contains("frame-ancestors 'none'") && policy.contains("default-src 'none'"))
                #expect(!policy.contains("script-src 'unsafe-inline'"))
                for source in Self.scriptSources(String(buffer: page.body)) { #expect(policy.contains(source), "a script on the page would not run") }
                #expect(page.headers[HTTPField.Name("x-frame-options")!] == "DENY")
            }
            let served = try await http.execute(uri: "/apply/\(token)/documents/\(document)", method: .get)
            #expect(served.status == .ok)
            #expect(served.headers[HTTPField.Name("content-security-policy")!]?.hasPrefix("sandbox;") == true)
            #expect(served.headers[HTTPField.Name("content-disposition")!] == #"inline; filename="xscript.pngevil""#)
        }
    }

    @Test("the front door shows each person what this server offers; a wrong link gets a page that helps, API paths keep JSON")
    func frontDoor() async throws {
        try await Self.withServer { http, _ in
            let anonymous = try await http.execute(uri: "/", method: .get)
            let anonymousHTML = String(buffer: anonymous.body)
            #expect(anonymous.status == .ok && anonymousHTML.contains(#"id="door-sign-in""#) && !anonymousHTML.contains(#"id="door-review""#))
            let reviewer = try await http.execute(uri: "/", method: .get, headers: [.cookie: Self.cookie(try await Self.login(http, "ana"))])
            let reviewerHTML = String(buffer: reviewer.body)
            #expect(reviewerHTML.contains(#"id="door-review""#) && !reviewerHTML.contains(#"id="door-ops""#) && reviewerHTML.contains("Signed in as <strong>ana</strong>"))
            let admin = String(buffer: try await http.execute(uri: "/", method: .get, headers: [.cookie: Self.cookie(try await Self.login(http, "root"))]).body)
            #expect(admin.contains(#"id="door-ops""#))

            let lost = try await http.execute(uri: "/revew", method: .get, headers: [.accept: "text/html,application/xhtml+xml"])
            #expect(lost.status == .notFound && lost.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: lost.body).contains("There is no page at /revew") && String(buffer: lost.body).contains(#"<a href="/">Front page</a>"#))
            let api = try await http.execute(uri: "/api/nothing", method: .get, headers: [.accept: "text/html"])
            #expect([.notFound, .unauthorized].contains(api.status) && api.headers[.contentType]?.hasPrefix("text/html") != true)
            #expect(try await http.execute(uri: "/revew", method: .get).status == .notFound)
        }
    }

    @Test("a PDF's pages are shown as images to its applicant and to reviewers, under the document policy; no other page or document has one", samplesNeeded)
    func pdfPages() async throws {
        try await Self.withServer { http, components in
            let samples = Self.repository.appendingPathComponent(".centaur/samples/person-01")
            guard let i9 = FileManager.default.contents(atPath: samples.appendingPathComponent("i9.pdf").path),
                  let back = FileManager.default.contents(atPath: samples.appendingPathComponent("license-back.png").path) else {
                Issue.record("run scripts/generate-samples")
                return
            }
            let (application, token) = try await components.onboarding.create(marketState: "IL")
            let pdf = try await components.onboarding.upload(applicationID: application.id, kind: .i9, name: "i9.pdf", data: i9).id
            let image = try await components.onboarding.upload(applicationID: application.id, kind: .licenseBack, name: "back.png", data: back).id
            let cookie = Self.cookie(try await Self.login(http, "ana"))
            let review = "/review/applications/\(application.id)/documents"
            let first = try await http.execute(uri: "\(review)/\(pdf)/pages/1", method: .get, headers: [.cookie: cookie])
            #expect(first.status == .ok && first.headers[.contentType] == "image/png")
            #expect(Array(first.body.readableBytesView.prefix(4)) == [0x89, 0x50, 0x4E, 0x47], "a PNG")
            #expect(first.headers[HTTPField.Name("content-security-policy")!]?.hasPrefix("sandbox;") == true)
            let applicant = try await http.execute(uri: "/apply/\(token)/documents/\(pdf)/pages/1", method: .get)
            #expect(applicant.status == .ok && applicant.body.readableBytes == first.body.readableBytes)
            for uri in ["\(review)/\(pdf)/pages/99", "\(review)/\(pdf)/pages/0", "\(review)/\(pdf)/pages/x", "\(review)/\(image)/pages/1"] {
                #expect(try await http.execute(uri: uri, method: .get, headers: [.cookie: cookie]).status == .notFound, "\(uri)")
            }
            #expect(try await http.execute(uri: "\(review)/\(pdf)/pages/1", method: .get).status == .seeOther, "reviewers only")
            #expect(try await http.execute(uri: "/apply/not-a-token/documents/\(pdf)/pages/1", method: .get).status == .notFound)
            // The review page offers the PDF's pages and the image, one document at a time.
            let page = String(buffer: try await http.execute(uri: "/review/applications/\(application.id)", method: .get, headers: [.cookie: cookie]).body)
            #expect(page.contains("\(review)/\(pdf)/pages/1\"") && page.contains(#"role="tab""#) && page.contains(#"aria-controls="doc-\#(image)""#))
        }
    }

    @Test("the applicant's page cannot silence a rule: clearing a limited-duration licence's flag sends the application to review", samplesNeeded)
    func confirmationCannotSilenceARule() async throws {
        try await Self.withServer { http, components in
            let samples = Self.repository.appendingPathComponent(".centaur/samples")
            guard let back = FileManager.default.contents(atPath: samples.appendingPathComponent("adversarial/license-back-limited.png").path),
                  let front = FileManager.default.contents(atPath: samples.appendingPathComponent("person-01/license-front.png").path),
                  let i9 = FileManager.default.contents(atPath: samples.appendingPathComponent("person-01/i9.pdf").path) else {
                Issue.record("run scripts/generate-samples")
                return
            }
            let (application, token) = try await components.onboarding.create(marketState: "IL")
            _ = try await components.onboarding.upload(applicationID: application.id, kind: .licenseFront, name: "front.png", data: front)
            _ = try await components.onboarding.upload(applicationID: application.id, kind: .licenseBack, name: "back.png", data: back)
            _ = try await components.onboarding.upload(applicationID: application.id, kind: .i9, name: "i9.pdf", data: i9)
            try await JobWorker(onboarding: components.onboarding, signal: JobSignal()).drain()
            let page = String(buffer: try await http.execute(uri: "/apply/\(token)", method: .get).body)
            let csrf = try #require(page.range(of: #"name="_csrf" value="([^"]+)""#, options: .regularExpression).map { String(page[$0]).split(separator: "\"")[3] })
            #expect(!page.contains(#"name="us-drivers-license.limited_duration""#), "a machine-only flag is not the applicant's to check")
            #expect(page.contains(#"<legend>Name</legend>"#) && page.contains(">Licence number</label>"), "plain labels, grouped")
            #expect(page.range(of: #"class="box" data-fields="[^"]*us-drivers-license\.last_name"#, options: .regularExpression) != nil,
                    "values are outlined on the applicant's own images")
            #expect(page.contains(#"id="us-drivers-license.id_number" name="us-drivers-license.id_number""#) && page.contains(#"type="password" autocomplete="off""#),
                    "the licence number is masked until shown")
            // A crafted form that changes it anyway is still caught by the policy.
            let posted = try await http.execute(uri: "/apply/\(token)/confirm", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: "_csrf=\(csrf)&us-drivers-license.limited_duration=false"))
            #expect(posted.status == .seeOther)
            let after = try #require(try await components.stores.applications.application(id: application.id))
            #expect(after.state == .inReview)
            #expect(after.reasons.contains("silenced rule license_limited_duration_status"), "\(after.reasons)")
        }
    }

    @Test("roles and CSRF: reviewers cannot open /ops; a form without its token is refused; an applicant's token opens nothing", samplesNeeded)
    func access() async throws {
        try await Self.withServer { http, components in
            let samples = Self.repository.appendingPathComponent(".centaur/samples/person-01/license-back.png")
            guard let back = FileManager.default.contents(atPath: samples.path) else {
                Issue.record("run scripts/generate-samples")
                return
            }
            let (application, token) = try await components.onboarding.create(marketState: "IL")
            _ = try await components.onboarding.upload(applicationID: application.id, kind: .licenseBack, name: "back.png", data: back)
            try await JobWorker(onboarding: components.onboarding, signal: JobSignal()).drain()
            _ = try await components.onboarding.confirm(applicationID: application.id, values: [:])

            let reviewer = Self.cookie(try await Self.login(http, "ana"))
            #expect(try await http.execute(uri: "/ops", method: .get, headers: [.cookie: reviewer]).status == .forbidden)
            // The queue names the applicant as the barcode gives it, how long it has waited and why.
            let queue = String(buffer: try await http.execute(uri: "/review", method: .get, headers: [.cookie: reviewer]).body)
            #expect(queue.contains("SAMPLETON") && queue.contains(" min</td>") && queue.contains("no form-i9 was read"), "\(queue)")
            // Filters: a missing I-9 is a blocking document; nothing here was changed by the applicant.
            func filtered(_ filter: String) async throws -> String {
                String(buffer: try await http.execute(uri: "/review?filter=\(filter)", method: .get, headers: [.cookie: reviewer]).body)
            }
            #expect(try await filtered("blocking").contains("SAMPLETON"))
            #expect(try await filtered("unclaimed").contains("SAMPLETON"))
            let changes = try await filtered("changes")
            #expect(!changes.contains("SAMPLETON") && changes.contains("Nothing in the queue matches this filter."))
            #expect(try await filtered("mine").contains("Nothing in the queue matches this filter."))
            #expect(try await filtered("nonsense").contains("SAMPLETON"), "an unknown filter shows everything")
            let admin = Self.cookie(try await Self.login(http, "root"))
            let ops = try await http.execute(uri: "/ops", method: .get, headers: [.cookie: admin])
            #expect(ops.status == .ok && String(buffer: ops.body).contains("Recent model calls"))
            #expect(String(buffer: ops.body).contains("Claimed → decided (the reviewer's work)"), "review times are on the operations page")

            // The applicant's link token is not a web session: reviewer and operations pages send it to sign in.
            let applicant = try await http.execute(uri: "/review/applications/\(application.id)", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(applicant.status == .seeOther)
            #expect(try await http.execute(uri: "/ops", method: .get, headers: [.authorization: "Bearer \(token)"]).status == .seeOther)
            #expect(try await http.execute(uri: "/review", method: .get, headers: [.cookie: "centaur_session=\(token)"]).status == .seeOther)

            let page = try await http.execute(uri: "/review/applications/\(application.id)", method: .get, headers: [.cookie: reviewer])
            let html = String(buffer: page.body)
            #expect(page.status == .ok && html.contains("no form-i9 was read"))
            let csrf = try #require(html.range(of: #"name="_csrf" value="([^"]+)""#, options: .regularExpression).map { String(html[$0]).split(separator: "\"")[3] })
            let form: HTTPFields = [.cookie: reviewer, .contentType: "application/x-www-form-urlencoded"]
            #expect(html.contains(#"<option value="" selected disabled>Choose…</option>"#), "no decision is chosen for the reviewer")
            let unchosen = try await http.execute(uri: "/review/applications/\(application.id)/decision", method: .post, headers: form,
                                                  body: ByteBuffer(string: "_csrf=\(csrf)&decision=&reason=fine"))
            #expect(unchosen.status == .badRequest && String(buffer: unchosen.body).contains("Choose approve, reject or ask for new documents"))
            let forged = try await http.execute(uri: "/review/applications/\(application.id)/decision", method: .post, headers: form,
                                                body: ByteBuffer(string: "decision=approve&reason=looks+fine"))
            #expect(forged.status == .forbidden && String(buffer: forged.body).contains("CSRF"))
            let wrongToken = try await http.execute(uri: "/review/applications/\(application.id)/decision", method: .post, headers: form,
                                                    body: ByteBuffer(string: "_csrf=nope&decision=approve&reason=looks+fine"))
            #expect(wrongToken.status == .forbidden)
            #expect(try await components.stores.applications.decisions(applicationID: application.id).isEmpty)
            let decided = try await http.execute(uri: "/review/applications/\(application.id)/decision", method: .post, headers: form,
                                                 body: ByteBuffer(string: "_csrf=\(csrf)&decision=reject&reason=no+I-9+was+sent"))
            #expect(decided.status == .seeOther)
            #expect(try await components.stores.applications.decisions(applicationID: application.id).map(\.actor) == ["reviewer:ana"])
            let after = String(buffer: try await http.execute(uri: "/review/applications/\(application.id)", method: .get, headers: [.cookie: reviewer]).body)
            #expect(after.contains("review.decided") && after.contains("rejected"))
        }
    }
}

@Suite("Operations pages")
struct OpsPageTests {
    @Test("admins see recent calls with usage charts, one call's attempts (redacted bodies), and eval reports")
    func ops() async throws {
        try await WebTests.withServer { http, components in
            let now = Date()
            try await components.stores.traces.insert([
                TraceRecord(id: "t1", requestID: "req-1", startedAt: now, endedAt: now, route: "smart", surface: "openai", model: "claude-primary",
                            provider: "anthropic", upstreamModel: "claude-sonnet-4-5", attempt: 1, status: .error, errorClass: "rate_limited",
                            errorMessage: "slow down", costUSD: 0.001, latencyMS: 12),
                TraceRecord(id: "t2", requestID: "req-1", startedAt: now, endedAt: now, route: "smart", surface: "openai", model: "claude-backup",
                            provider: "anthropic", upstreamModel: "claude-sonnet-4-5", attempt: 2, status: .ok, inputTokens: 12, outputTokens: 4,
                            costUSD: 0.0042, latencyMS: 30, tags: ["pii_redacted": "US_SSN:1"], requestBody: "user: my SSN is <US_SSN_1>",
                            responseBody: "Noted."),
            ])
            let run = EvalRunRecord(id: "eval-ops", suite: "ops.yaml", description: "ops check", startedAt: now, endedAt: now, status: .completed)
            try await components.stores.evals.saveRun(run)
            try await components.stores.evals.insertResults([EvalResultRecord(runID: run.id, caseID: "t0-p0-m0-r0", provider: "echo", success: true,
                                                                              score: 1, costUSD: nil, latencyMS: 1, error: nil, detail: "{}")])

            let admin = WebTests.cookie(try await WebTests.login(http, "root"))
            let ops = String(buffer: try await http.execute(uri: "/ops", method: .get, headers: [.cookie: admin]).body)
            #expect(ops.contains("Usage, last 14 days") && ops.contains("<svg role=\"img\" aria-label=\"Cost (USD) per day\""))
            #expect(ops.contains("/ops/traces/t2") && ops.contains(run.id))
            let filtered = String(buffer: try await http.execute(uri: "/ops?status=error", method: .get, headers: [.cookie: admin]).body)
            #expect(filtered.contains("/ops/traces/t1") && !filtered.contains("/ops/traces/t2"))
            let detail = String(buffer: try await http.execute(uri: "/ops/traces/t2", method: .get, headers: [.cookie: admin]).body)
            #expect(detail.contains("rate_limited: slow down") && detail.contains("claude-backup"))
            #expect(detail.contains("my SSN is &lt;US_SSN_1&gt;") && detail.contains("$0.004200"))
            let report = try await http.execute(uri: "/ops/evals/\(run.id)", method: .get, headers: [.cookie: admin])
            #expect(report.status == .ok && String(buffer: report.body).contains("report of ops check: 1 results"), "the stored run, rendered by the renderer given")
            let reviewer = WebTests.cookie(try await WebTests.login(http, "ana"))
            #expect(try await http.execute(uri: "/ops/traces/t2", method: .get, headers: [.cookie: reviewer]).status == .forbidden)
            #expect(try await http.execute(uri: "/ops/evals/\(run.id)", method: .get, headers: [.cookie: reviewer]).status == .forbidden)
        }
    }
}
