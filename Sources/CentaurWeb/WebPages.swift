import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurRules
import CentaurStore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The server-rendered pages: sign-in, the review queue, an application's review page and the operations page.
/// Every form carries the session's CSRF token; `/review/*` needs a signed-in reviewer or admin (others are sent
/// to `/review/login`), `/ops` an admin.
public struct WebPages: Sendable {
    /// Renders a stored eval run as a self-contained HTML report (`/ops/evals/{id}`); the evals library provides it,
    /// so the pages do not depend on it.
    public typealias EvalReportRenderer = @Sendable (EvalRunRecord, [EvalResultRecord]) throws -> String

    let sessions: WebSessions
    let onboarding: OnboardingService
    let stores: Stores
    let templates: MustacheLibrary
    /// The pages' Content-Security-Policy, with the hashes of the templates' scripts (``SecurityHeaders``).
    let contentSecurityPolicy: String
    /// Proxies whose `X-Forwarded-For` is believed (`ServerSettings.trustedProxies`).
    var trustedProxies: Set<String> = []
    var evalReport: EvalReportRenderer?
    /// The clock of waiting times, sign-in and the usage charts.
    var now: @Sendable () -> Date = Date.init

    /// The pages over the onboarding service and the stores, with the shipped templates.
    public init(sessions: WebSessions, onboarding: OnboardingService, stores: Stores, trustedProxies: Set<String> = [],
                evalReport: EvalReportRenderer? = nil, now: @escaping @Sendable () -> Date = Date.init) throws {
        self.sessions = sessions
        self.onboarding = onboarding
        self.stores = stores
        (templates, contentSecurityPolicy) = try Self.loadTemplates()
        self.trustedProxies = trustedProxies
        self.evalReport = evalReport
        self.now = now
    }

    /// The templates shipped with the server (`Resources/templates/*.mustache`) and the Content-Security-Policy that
    /// lets exactly their scripts run.
    static func loadTemplates() throws -> (library: MustacheLibrary, contentSecurityPolicy: String) {
        var library = MustacheLibrary()
        guard let directory = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources")
            ?? Bundle.module.url(forResource: "templates", withExtension: nil) else {
            throw StoreError("the web templates are missing from the server's resources")
        }
        var texts: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
            texts.append(text)
        }
        return (library, SecurityHeaders.pagePolicy(scriptHashes: try SecurityHeaders.scriptHashes(in: texts)))
    }

    /// Every page's route: `/`, `/review…`, `/apply/…` and `/ops…`.
    public func register<Context: RemoteAddressRequestContext>(on router: Hummingbird.Router<Context>) {
        // The front door: what this server offers the person signed in, or the way in.
        router.get("/") { request, _ in
            guard let signed = try await sessions.current(cookieHeader: request.headers[.cookie], now: now()) else {
                return page("home", Page("Centaur", HomePage(heading: "Centaur")))
            }
            let waiting = try await stores.applications.applications(states: [.inReview], limit: 10_000).count
            var home = frame(signed, title: "Centaur", HomePage(heading: "Centaur"))
            home.user?.waiting = waiting > 0 ? String(waiting) : nil
            return page("home", home)
        }
        router.get("/review/login") { request, _ in
            // Login CSRF: a random token in a cookie and in the form; the post must carry both, equal.
            let token = WebSessions.random(24)
            var response = page("login", Page("Sign in", csrf: token, LoginPage(next: Self.safeNext(request.uri.queryParameters["next"].map(String.init)))))
            response.headers[.setCookie] = "\(Self.loginCookie)=\(token); Path=/review/login; Max-Age=3600; HttpOnly; Secure; SameSite=Strict"
            return response
        }
        router.post("/review/login") { request, context in
            let form = try await Self.form(request)
            let username = form["username"] ?? "", password = form["password"] ?? ""
            let next = Self.safeNext(form["next"])
            guard let cookie = WebSessions.cookie(Self.loginCookie, in: request.headers[.cookie]), WebSessions.same(cookie, form["_csrf"] ?? "") else {
                return page("message", Page("Form expired", MessagePage(heading: "Form expired",
                                        text: "The sign-in form was missing its security token (CSRF). Open the sign-in page again.")), status: .forbidden)
            }
            let address = ClientAddress.of(peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[HTTPField.Name("x-forwarded-for")!],
                                           trustedProxies: trustedProxies)
            switch try await sessions.login(username: username, password: password, address: address, now: now()) {
            case .signedIn(let secret, _):
                var response = Self.redirect(next)
                response.headers[.setCookie] = sessions.setCookie(secret)
                return response
            case .wrongCredentials:
                return page("login", Page("Sign in", csrf: cookie, LoginPage(next: next, error: "Wrong username or password.", username: username)),
                            status: .unauthorized)
            case .throttled(let seconds):
                var response = page("login", Page("Sign in", csrf: cookie, LoginPage(next: next, error: "Too many failed attempts: try again in \(seconds) seconds.",
                                                                                    username: username)), status: .tooManyRequests)
                response.headers[.retryAfter] = "\(seconds)"
                return response
            }
        }
        router.post("/review/logout") { request, _ in
            try await signedIn(request, form: try await Self.form(request)) { _, _ in
                try await sessions.logout(cookieHeader: request.headers[.cookie])
                var response = Self.redirect("/review/login")
                response.headers[.setCookie] = WebSessions.clearCookie
                return response
            }
        }
        router.get("/review") { request, _ in
            try await signedIn(request) { signed, reviewer in
                let filter = request.uri.queryParameters["filter"].map(String.init).flatMap { Self.queueFilters.map(\.key).contains($0) ? $0 : nil }
                let items = try await onboarding.queue().filter { Self.queueItem($0, matches: filter, reviewer: reviewer) }
                let current = now()
                let rows = items.enumerated().map { index, item in
                    QueueRow(id: item.id, risk: item.risk, created: Self.time(item.createdAt), waiting: Self.age(current.timeIntervalSince(item.createdAt)),
                             applicant: item.applicantName ?? "name not read", summary: item.reasons.first ?? "—",
                             more: item.reasons.count > 1 ? "+\(item.reasons.count - 1) more" : "", assignee: item.assignee, first: index == 0)
                }
                let filters = Self.queueFilters.map {
                    QueueFilterLink(href: $0.key.isEmpty ? "/review" : "/review?filter=\($0.key)", title: $0.title, current: $0.key == (filter ?? ""))
                }
                return page("queue", frame(signed, title: "Review queue", QueuePage(items: rows, filters: filters, filtered: filter != nil)))
            }
        }
        router.get("/review/applications/{id}") { request, context in
            try await signedIn(request) { signed, _ in
                try await applicationPage(context.parameters.get("id") ?? "", signed: signed,
                                          message: request.uri.queryParameters["done"].map(String.init))
            }
        }
        router.get("/review/applications/{id}/documents/{documentID}") { request, context in
            try await signedIn(request) { _, _ in
                let (record, data) = try await onboarding.documentData(applicationID: context.parameters.get("id") ?? "",
                                                                       documentID: context.parameters.get("documentID") ?? "")
                return SecurityHeaders.document(record, data)
            }
        }
        router.get("/review/applications/{id}/documents/{documentID}/pages/{page}") { request, context in
            try await signedIn(request) { _, _ in
                let (record, data) = try await onboarding.documentData(applicationID: context.parameters.get("id") ?? "",
                                                                       documentID: context.parameters.get("documentID") ?? "")
                return try await renderedPage(record, data, page: context.parameters.get("page"))
            }
        }
        router.post("/review/applications/{id}/decision") { request, context in
            let form = try await Self.form(request)
            return try await signedIn(request, form: form) { signed, reviewer in
                let id = context.parameters.get("id") ?? ""
                guard let decision = ReviewDecision(rawValue: form["decision"] ?? "") else {
                    return try await applicationPage(id, signed: signed, error: "Choose approve, reject or ask for new documents.", status: .badRequest)
                }
                do {
                    _ = try await onboarding.decide(applicationID: id, decision: decision, reason: form["reason"] ?? "", reviewer: reviewer)
                } catch let error as WorkflowError {
                    return try await applicationPage(id, signed: signed, error: error.description, status: error.kind == .invalid ? .badRequest : .conflict)
                }
                return Self.redirect("/review/applications/\(id)?done=Decision+recorded")
            }
        }
        for (action, done) in [("claim", "Claimed: it is yours to decide"), ("release", "Released to the queue")] {
            router.post("/review/applications/{id}/\(action)") { request, context in
                let form = try await Self.form(request)
                return try await signedIn(request, form: form) { signed, reviewer in
                    let id = context.parameters.get("id") ?? ""
                    do {
                        if action == "claim" { _ = try await onboarding.claim(applicationID: id, reviewer: reviewer) }
                        else { _ = try await onboarding.release(applicationID: id, reviewer: reviewer) }
                    } catch let error as WorkflowError {
                        return try await applicationPage(id, signed: signed, error: error.description, status: .conflict)
                    }
                    return Self.redirect("/review/applications/\(id)?done=\(done.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")")
                }
            }
        }
        router.post("/review/applications/{id}/corrections") { request, context in
            let form = try await Self.form(request)
            return try await signedIn(request, form: form) { signed, reviewer in
                let id = context.parameters.get("id") ?? ""
                let parts = (form["field"] ?? "").split(separator: ".", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { return try await applicationPage(id, signed: signed, error: "Choose a field.", status: .badRequest) }
                do {
                    _ = try await onboarding.correct(applicationID: id, documentType: parts[0], field: parts[1], value: .string(form["value"] ?? ""),
                                                     reason: form["reason"] ?? "", reviewer: reviewer)
                } catch let error as WorkflowError {
                    return try await applicationPage(id, signed: signed, error: error.description, status: error.kind == .invalid ? .badRequest : .conflict)
                }
                return Self.redirect("/review/applications/\(id)?done=Correction+saved")
            }
        }
        registerApplicant(on: router)
        registerOps(on: router)
        router.get("/ops") { request, _ in
            try await signedIn(request, role: .admin) { signed, _ in
                let parameters = request.uri.queryParameters
                let model = parameters["model"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
                let status = parameters["status"].map(String.init).flatMap(TraceStatus.init(rawValue:))
                let traces = try await stores.traces.traces(TraceQuery(model: model, status: status, limit: 50)).traces.map { t in
                    TraceRow(id: t.id, at: Self.time(t.startedAt), route: t.route, provider: t.provider, status: t.status.rawValue, input: t.inputTokens,
                             output: t.outputTokens, cost: Self.cost(t.costUSD), latency: Int(t.latencyMS), tags: Self.tags(t.tags))
                }
                let times = try await onboarding.reviewTimes()
                let review = ReviewTimesView(decided: times.decided, claimed: times.claimedDecisions,
                                             medianWait: times.medianWait.map(Self.age) ?? "—", p90Wait: times.p90Wait.map(Self.age) ?? "—",
                                             medianHandling: times.medianHandling.map(Self.age) ?? "—", p90Handling: times.p90Handling.map(Self.age) ?? "—")
                let runs = try await stores.evals.runs(limit: 20).map {
                    EvalRunRow(id: $0.id, description: $0.description, status: $0.status.rawValue, started: Self.time($0.startedAt))
                }
                let rates = try await onboarding.fieldErrorRates(byWeek: true).filter { $0.errors > 0 }.map {
                    ErrorRateRow(week: $0.week ?? "", documentType: $0.documentType, field: $0.field, source: $0.source, observed: $0.observed,
                                 errors: $0.errors, rate: String(format: "%.0f%%", $0.errorRate * 100))
                }
                let (costChart, tokenChart) = try await usageCharts()
                return page("ops", frame(signed, title: "Operations", OpsPage(
                    traces: traces, runs: runs, rates: rates, review: review, costChart: costChart, tokenChart: tokenChart, model: model ?? "",
                    statusOK: status == .ok, statusError: status == .error)))
            }
        }
    }

    // MARK: Pages

    func applicationPage(_ id: String, signed: WebSessions.Signed, message: String? = nil, error: String? = nil,
                         status: HTTPResponse.Status = .ok) async throws -> Response {
        let detail: ReviewDetail
        do { detail = try await onboarding.detail(applicationID: id) } catch let error as WorkflowError where error.kind == .notFound {
            return page("message", frame(signed, title: "Not found", MessagePage(heading: "Not found", text: error.description)), status: .notFound)
        }
        let extracted = detail.extracted.map { document in
            let type = try? DocumentType.named(document.documentType)
            let names = type?.fields.map(\.name).filter { document.fields[$0] != nil } ?? document.fields.keys.sorted()
            let fields = names.map { name in
                let disagreement = document.disagreements.first { $0.field == name }
                // The machine's value: before the first human change, else what was extracted.
                let machine = detail.adjustments.first { $0.documentType == document.documentType && $0.field == name }
                    .flatMap { try? JSONValue(parsing: $0.before) } ?? document.fields[name] ?? .null
                let sources = (document.provenance[name] ?? []).map { provenance in
                    let value = disagreement?.values.first { $0.source == provenance.source && $0.document == provenance.document }?.value ?? machine
                    return SourceValueView(source: provenance.source, value: Self.text(value))
                }
                return ExtractedFieldView(name: name, type: document.documentType, value: Self.text(document.fields[name] ?? .null), sources: sources,
                                          disagreement: disagreement != nil, highRisk: type?.field(name)?.highRisk ?? false,
                                          adjusted: detail.adjustments.contains { $0.documentType == document.documentType && $0.field == name })
            }
            return ExtractedDocumentView(type: document.documentType, fields: fields)
        }
        let fieldOptions = detail.extracted.flatMap { document in
            ((try? DocumentType.named(document.documentType))?.fields.map(\.name) ?? []).map { "\(document.documentType).\($0)" }
        }
        var view = ApplicationPage(
            id: detail.application.id, state: detail.application.state.rawValue, risk: detail.application.risk, reasons: detail.reasons,
            documents: try await documentRows(detail),
            extracted: extracted,
            rules: detail.ruleResults.filter { $0.outcome == .fired }.map { FiredRuleView(severity: $0.severity.rawValue, rule: $0.rule, description: $0.description) },
            adjustments: detail.adjustments.map { adjustment in
                AdjustmentView(actor: adjustment.actor, documentType: adjustment.documentType, field: adjustment.field,
                               before: adjustment.before, after: adjustment.after, reason: adjustment.reason.flatMap { $0.isEmpty ? nil : $0 })
            },
            inReview: detail.application.state == .inReview, fieldOptions: fieldOptions,
            reasonGroups: detail.reasonGroups.map { ReasonGroupView(title: $0.title, reasons: $0.reasons) },
            hasEvidence: !detail.evidence.isEmpty,
            evidence: detail.evidence.map(Self.evidenceRow),
            hasUngrounded: !detail.ungrounded.isEmpty,
            ungrounded: detail.ungrounded.map { UngroundedView(field: $0.field, value: Self.text($0.value), source: $0.source, document: $0.document) },
            audit: detail.audit.map { entry in
                AuditRow(seq: entry.seq, at: entry.at, when: AuditEntry.date(entry.at).map(Self.time) ?? entry.at,
                         actor: entry.actor, action: entry.action, sentence: Self.auditSentence(entry.action),
                         after: entry.after.flatMap { $0.isEmpty ? nil : $0 })
            })
        // `n` opens the next application in the queue.
        let queue = try await onboarding.queue(withNames: false).map(\.id)
        if let index = queue.firstIndex(of: id), index + 1 < queue.count { view.next = queue[index + 1] }
        else if let first = queue.first, first != id { view.next = first }
        view.assignee = detail.application.assignee
        if detail.application.state == .inReview {
            let me = "reviewer:\(signed.user.username)"
            if detail.application.assignee == nil { view.claimable = true }
            else if detail.application.assignee == me { view.releasable = true }
            else { view.claimedByOther = true }
        }
        view.message = message.flatMap { $0.isEmpty ? nil : $0 }
        view.error = error.flatMap { $0.isEmpty ? nil : $0 }
        return page("application", frame(signed, title: "Application \(id)", view), status: status)
    }

    /// A page's frame for the person signed in.
    func frame<Content>(_ signed: WebSessions.Signed, title: String, _ content: Content) -> Page<Content> {
        Page(title, user: PageUser(username: signed.user.username, role: signed.user.role.rawValue, admin: signed.user.role == .admin,
                                   csrf: signed.session.csrfToken),
             csrf: signed.session.csrfToken, content)
    }

    func page<Content>(_ template: String, _ view: Page<Content>, status: HTTPResponse.Status = .ok) -> Response {
        let html = templates.render(view, withTemplate: template) ?? "<!doctype html><title>Error</title><p>Template \(template) is missing."
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                                  SecurityHeaders.frameOptions: "DENY", SecurityHeaders.contentSecurityPolicy: contentSecurityPolicy],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The helpful 404: the ways in, for a person who followed a wrong link.
    public func notFoundPage(path: String) -> Response {
        let text = "There is no page at \(path). Start from the front page, sign in to review applications, or, if you are an applicant, "
            + "open the link you were sent again."
        return page("message", Page("Not found", MessagePage(heading: "Nothing here", text: text, home: true)), status: .notFound)
    }

    /// Runs `body` for a signed-in user with the role; otherwise a redirect to sign in (or 403). With `form`, the
    /// form's `_csrf` must be the session's token.
    func signedIn(_ request: Request, form: [String: String]? = nil, role: UserRecord.Role = .reviewer,
                  _ body: (WebSessions.Signed, String) async throws -> Response) async throws -> Response {
        guard let signed = try await sessions.current(cookieHeader: request.headers[.cookie], now: now()) else {
            return Self.redirect("/review/login?next=\(request.uri.path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/review")")
        }
        if role == .admin, signed.user.role != .admin {
            return page("message", frame(signed, title: "Not allowed", MessagePage(heading: "Not allowed", text: "This page is for admins.")), status: .forbidden)
        }
        if let form, !WebSessions.same(form["_csrf"] ?? "", signed.session.csrfToken) {
            return page("message", frame(signed, title: "Form expired", MessagePage(heading: "Form expired",
                text: "The form was missing its security token (CSRF). Reload the page and try again.")), status: .forbidden)
        }
        return try await body(signed, "reviewer:\(signed.user.username)")
    }

    // MARK: Helpers

    /// The documents, each image with the boxes where a source recorded a value (the barcode's outline), as
    /// percentages of the image so they stay on the value at any zoom.
    func documentRows(_ detail: ReviewDetail) async throws -> [DocumentView] {
        var rows: [DocumentView] = []
        for record in detail.documents {
            var row = DocumentView(id: record.id, application: record.applicationID, kind: record.kind, name: record.name,
                                   image: record.mediaType.hasPrefix("image/"), superseded: record.superseded)
            if !record.superseded {
                let placed = detail.evidence.flatMap { item in item.boxes.filter { $0.document == record.name }.map { (box: $0.box, name: item.label) } }
                row.boxes = try await outlines(placed, on: record, names: \.labels, separator: ", ")
            }
            try await addPages(record, to: &row)
            rows.append(row)
        }
        return rows
    }

    /// A PDF's pages, for a page switch over images rendered on request (`pages`, `multipage`); anything that is
    /// neither an image nor a readable PDF is only linked (`unrendered`). With `shown`, only the first pages are
    /// offered and `morePages` says how many the document has.
    func addPages(_ record: DocumentRecord, shown: Int? = nil, to row: inout DocumentView) async throws {
        if record.mediaType.hasPrefix("image/") { return }
        guard record.mediaType == "application/pdf",
              let (_, data) = try? await onboarding.documentData(applicationID: record.applicationID, documentID: record.id),
              let document = try? Document(name: record.name, data: data),
              let count = try? await PDFPages.count(document), count > 0 else { row.unrendered = true; return }
        let pages = (1...min(count, PDFLimits.maximumPages, shown ?? .max)).map { PageLink(number: $0, count: count) }
        row.pages = pages
        row.multipage = pages.count > 1
        if pages.count < count { row.morePages = count }
    }

    /// Page `page` of a stored PDF as a PNG (404 for anything else: an image, a page it does not have).
    func renderedPage(_ record: DocumentRecord, _ data: Data, page requested: String?) async throws -> Response {
        guard record.mediaType == "application/pdf", let number = requested.flatMap({ Int($0) }), number >= 1,
              let document = try? Document(name: record.name, data: data),
              number <= min(try await PDFPages.count(document), PDFLimits.maximumPages) else {
            return page("message", Page("Not found", MessagePage(heading: "Not found", text: "This document has no such page.")), status: .notFound)
        }
        return SecurityHeaders.inline(mediaType: "image/png", name: "\(record.name)-page-\(number).png", try await PDFPages.png(document, page: number))
    }

    /// The queue's filters, in the order the page offers them ("" is everything).
    static let queueFilters: [(key: String, title: String)] = [
        ("", "All"), ("unclaimed", "Unclaimed"), ("mine", "Claimed by me"), ("blocking", "Blocking rules or documents"),
        ("changes", "Changed by the applicant"), ("evidence", "Missing evidence"), ("disagreements", "Sources disagree"),
    ]

    /// Whether a queue item passes a filter; each reason's kind comes from the policy (``AutoApprovalPolicy/Reason/kind(ofMessage:)``).
    static func queueItem(_ item: QueueItem, matches filter: String?, reviewer: String) -> Bool {
        func any(_ kinds: Set<String>, blockingRules: Bool = false) -> Bool {
            item.reasons.contains { message in
                let kind = AutoApprovalPolicy.Reason.kind(ofMessage: message)
                return kinds.contains(kind) || (blockingRules && kind == "rule" && message.hasPrefix("\(RuleSeverity.block.rawValue): "))
            }
        }
        switch filter {
        case "unclaimed": return item.assignee == nil
        case "mine": return item.assignee == reviewer
        case "blocking": return any(["document", "missing_document"], blockingRules: true)
        case "changes": return any(["adjustment", "silenced_rule"])
        case "evidence": return any(["missing_evidence", "not_confirmed", "model_only"])
        case "disagreements": return any(["disagreement"])
        default: return true
        }
    }

    /// The outlines to draw on a document image: one per place (every barcode value shares the barcode's box), top
    /// first, as percentages of the image so they stay on the values at any size, with the names of what is there
    /// under `names`. Nil when the document is no image or nothing was placed on it.
    func outlines(_ placed: [(box: BoundingBox, name: String)], on record: DocumentRecord, names key: WritableKeyPath<Outline, String?>,
                  separator: String) async throws -> [Outline]? {
        let pixels = placed.filter { $0.box.unit == "px" }
        guard record.mediaType.hasPrefix("image/"), !pixels.isEmpty,
              let (_, data) = try? await onboarding.documentData(applicationID: record.applicationID, documentID: record.id),
              let size = ImageSize.of(data) else { return nil }
        var places: [(box: BoundingBox, names: [String])] = []
        for (box, name) in pixels {
            if let index = places.firstIndex(where: { $0.box == box }) { places[index].names.append(name) } else { places.append((box, [name])) }
        }
        func percent(_ value: Double, _ total: Int) -> String { String(format: "%.2f", max(0, min(100, value * 100 / Double(total)))) }
        return places.sorted { $0.box.y < $1.box.y }.map { box, names in
            var outline = Outline(left: percent(box.x, size.width), top: percent(box.y, size.height), width: percent(box.width, size.width),
                                  height: percent(box.height, size.height))
            outline[keyPath: key] = names.joined(separator: separator)
            return outline
        }
    }

    /// How long something has waited, in a reviewer's words: "4 min", "3 h 12 min", "2 d 5 h".
    static func age(_ seconds: TimeInterval) -> String {
        let minutes = max(0, Int(seconds / 60))
        if minutes < 60 { return "\(minutes) min" }
        if minutes < 24 * 60 { return "\(minutes / 60) h \(minutes % 60) min" }
        return "\(minutes / (24 * 60)) d \(minutes / 60 % 24) h"
    }

    /// An audit action in words, for the history's timeline (the action's code stays beside it).
    static func auditSentence(_ action: String) -> String {
        switch action {
        case "application.created": "created the application"
        case "document.uploaded": "uploaded a document"
        case "extraction.finished": "read the documents"
        case "extraction.failed": "could not read a document"
        case "application.confirmed": "confirmed the values"
        case "rules.checked": "checked the rules"
        case "application.auto_approved": "approved it automatically: every piece of evidence was there"
        case "application.sent_to_review": "sent it to review"
        case "review.claimed": "claimed it for review"
        case "review.released": "released it to the queue"
        case "review.corrected": "corrected a value"
        case "review.decided": "decided"
        default: action
        }
    }

    /// One row of the evidence checklist, worded for a reviewer.
    static func evidenceRow(_ item: EvidenceItem) -> EvidenceRow {
        let status: String = switch item.status {
        case .verified: "✓ verified"
        case .missing: "✗ missing"
        case .modelOnly: "✗ model only"
        case .notConfirmed: "✗ not confirmed"
        case .disagreement: "✗ sources disagree"
        case .changed: "✎ changed by a human"
        }
        let document = item.documentType == "us-drivers-license" ? "licence" : item.documentType == "form-i9" ? "I-9" : item.documentType
        return EvidenceRow(document: document, label: item.label, value: item.value == .null ? "—" : text(item.value), printed: item.printed,
                           seenBy: item.seenBy.isEmpty ? "—" : item.seenBy.joined(separator: ", "),
                           confirmedBy: item.confirmedBy.isEmpty ? "—" : item.confirmedBy.joined(separator: ", "),
                           status: item.status.rawValue, statusText: status)
    }

    static let loginCookie = "centaur_login_csrf"

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// Only paths on this site: never redirect off it after sign-in. Browsers treat `\` as `/` and drop tabs and
    /// newlines, so `/\evil.example` and `/<TAB>/evil.example` go off-site: anything but a plain absolute path with
    /// no scheme or host after that normalisation goes to the default page.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/") else { return "/review" }
        guard next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" }) else { return "/review" }
        guard !next.hasPrefix("//"), let components = URLComponents(string: next), components.scheme == nil, components.host == nil,
              components.path.hasPrefix("/"), !components.path.hasPrefix("//") else { return "/review" }
        return next
    }

    static func form(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        return parseForm(String(buffer: buffer))
    }

    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    static func text(_ value: JSONValue) -> String { value.stringValue ?? (value == .null ? "—" : value.jsonString()) }

    static func time(_ date: Date) -> String { AuditEntry.timestamp(date).replacingOccurrences(of: "T", with: " ").prefix(16) + " UTC" }

    static func cost(_ usd: Double?) -> String { usd.map { String(format: "$%.6f", $0) } ?? "–" }

    static func tags(_ tags: [String: String]) -> String { tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
}

/// A page for people who followed a wrong link: a GET for HTML that no route answers gets a page with the ways in
/// instead of a bare 404. API paths (`/api/…`, `/v1/…`) and other clients keep their JSON errors.
public struct NotFoundPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let render: @Sendable (String) -> Response

    public init(render: @escaping @Sendable (String) -> Response) { self.render = render }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            guard request.method == .get, !path.hasPrefix("/api/"), !path.hasPrefix("/v1/"),
                  request.headers[.accept]?.contains("text/html") == true else { throw error }
            return render(path)
        }
    }
}

