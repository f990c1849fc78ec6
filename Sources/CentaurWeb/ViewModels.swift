import Mustache

// The values each template reads, as types: a misspelt or missing value is a compile error, not a blank on the page.
// Templates look values up by name (stored properties, through reflection); an optional that is nil is absent, so
// its section is not shown (Mustache shows a section for any present value, even an empty string).

/// A page: the frame every template shares (title, the person signed in, the CSRF token of their forms) around the
/// page's own view model, whose values the template reads by name as if they were the page's.
struct Page<Content>: MustacheParent {
    let title: String
    var user: PageUser?
    var csrf: String?
    let content: Content

    init(_ title: String, user: PageUser? = nil, csrf: String? = nil, _ content: Content) {
        self.title = title; self.user = user; self.csrf = csrf; self.content = content
    }

    func child(named name: String) -> Any? {
        switch name {
        case "title": title
        case "user": user
        case "csrf": csrf
        default: ViewField.named(name, in: content)
        }
    }
}

enum ViewField {
    /// The stored property `name` of `value`, unwrapped when it is optional (nil when absent or nil).
    static func named(_ name: String, in value: Any) -> Any? {
        guard let child = Mirror(reflecting: value).children.first(where: { $0.label == name })?.value else { return nil }
        let mirror = Mirror(reflecting: child)
        guard mirror.displayStyle == .optional else { return child }
        return mirror.children.first?.value
    }
}

/// The person signed in, for the header and the front page.
struct PageUser {
    let username: String
    let role: String
    let admin: Bool
    let csrf: String
    /// How many applications wait for review (front page only), absent when none do.
    var waiting: String?
}

/// A page that says one thing: not found, not allowed, a form expired.
struct MessagePage {
    let heading: String
    let text: String
    /// Offers the ways in (the helpful 404).
    var home: Bool?
}

/// The front door.
struct HomePage {
    let heading: String
}

struct LoginPage {
    let next: String
    var error: String?
    var username: String?
}

// MARK: Review

struct QueuePage {
    let items: [QueueRow]
    let filters: [QueueFilterLink]
    let filtered: Bool
}

struct QueueRow {
    let id: String
    let risk: Int
    let created: String
    let waiting: String
    let applicant: String
    let summary: String
    let more: String
    var assignee: String?
    let first: Bool
}

struct QueueFilterLink {
    let href: String
    let title: String
    let current: Bool
}

struct ApplicationPage {
    let id: String
    let state: String
    let risk: Int
    let reasons: [String]
    let documents: [DocumentView]
    let extracted: [ExtractedDocumentView]
    let rules: [FiredRuleView]
    let adjustments: [AdjustmentView]
    let inReview: Bool
    let fieldOptions: [String]
    let reasonGroups: [ReasonGroupView]
    let hasEvidence: Bool
    let evidence: [EvidenceRow]
    let hasUngrounded: Bool
    let ungrounded: [UngroundedView]
    let audit: [AuditRow]
    /// The next application in the queue (`n` opens it).
    var next: String?
    var assignee: String?
    var claimable: Bool?
    var releasable: Bool?
    var claimedByOther: Bool?
    var message: String?
    var error: String?
}

/// A stored document as the review and applicant pages show it: an image with outlines where values were read, or a
/// PDF's pages rendered on request, or only a link.
struct DocumentView {
    let id: String
    var application: String?
    var kind: String?
    let name: String
    let image: Bool
    var superseded: Bool?
    var boxes: [Outline]?
    var pages: [PageLink]?
    var multipage: Bool?
    /// How many pages the document has when fewer are offered.
    var morePages: Int?
    var unrendered: Bool?
}

/// A place on a document image, as percentages of the image, with what was read there (`labels` on the review page,
/// `fields` — the form keys — on the applicant's).
struct Outline {
    let left: String
    let top: String
    let width: String
    let height: String
    var labels: String?
    var fields: String?
}

struct PageLink {
    let number: Int
    let count: Int
}

struct ExtractedDocumentView {
    let type: String
    let fields: [ExtractedFieldView]
}

struct ExtractedFieldView {
    let name: String
    let type: String
    let value: String
    let sources: [SourceValueView]
    let disagreement: Bool
    let highRisk: Bool
    let adjusted: Bool
}

struct SourceValueView {
    let source: String
    let value: String
}

struct FiredRuleView {
    let severity: String
    let rule: String
    let description: String
}

struct AdjustmentView {
    let actor: String
    let documentType: String
    let field: String
    let before: String
    let after: String
    var reason: String?
}

struct ReasonGroupView {
    let title: String
    let reasons: [String]
}

struct EvidenceRow {
    let document: String
    let label: String
    let value: String
    /// The value as the document prints it, when that differs from the normalised form.
    var printed: String?
    let seenBy: String
    let confirmedBy: String
    let status: String
    let statusText: String
}

struct UngroundedView {
    let field: String
    let value: String
    let source: String
    let document: String
}

struct AuditRow {
    let seq: Int
    let at: String
    let when: String
    let actor: String
    let action: String
    let sentence: String
    var after: String?
}

// MARK: Applicant

struct ApplyPage {
    let id: String
    let token: String
    let stateText: String
    var error: String?
    var problems: [String]?
    var canUpload: Bool?
    var slots: [UploadSlotView]?
    var refresh: Bool?
    var received: [String]?
    var collapsed: Bool?
    var confirm: Bool?
    var documents: [DocumentView]?
    var extracted: [ApplicantDocumentView]?
    var done: Bool?
    var doneText: String?
}

struct UploadSlotView {
    let kind: String
    let number: Int
    let count: Int
    let title: String
    let hint: String
    var received: String?
}

struct ApplicantDocumentView {
    let title: String
    let groups: [ApplicantFieldGroup]
}

struct ApplicantFieldGroup {
    let group: String
    let fields: [ApplicantFieldView]
}

struct ApplicantFieldView {
    let key: String
    let name: String
    let value: String
    let sensitive: Bool
}

// MARK: Operations

struct OpsPage {
    let traces: [TraceRow]
    let runs: [EvalRunRow]
    let rates: [ErrorRateRow]
    let review: ReviewTimesView
    let costChart: String
    let tokenChart: String
    let model: String
    let statusOK: Bool
    let statusError: Bool
}

struct TraceRow {
    let id: String
    let at: String
    let route: String
    let provider: String
    let status: String
    let input: Int
    let output: Int
    let cost: String
    let latency: Int
    let tags: String
}

struct EvalRunRow {
    let id: String
    let description: String
    let status: String
    let started: String
}

struct ErrorRateRow {
    let week: String
    let documentType: String
    let field: String
    let source: String
    let observed: Int
    let errors: Int
    let rate: String
}

struct ReviewTimesView {
    let decided: Int
    let claimed: Int
    let medianWait: String
    let p90Wait: String
    let medianHandling: String
    let p90Handling: String
}

struct TracePage {
    let requestID: String
    let attempts: [AttemptRow]
    let caller: String
    let team: String
    let route: String
    let surface: String
    let tags: String
    let request: String
    let response: String
}

struct AttemptRow {
    let attempt: Int
    let at: String
    let model: String
    let provider: String
    let upstream: String
    let status: String
    let input: Int
    let output: Int
    let cost: String
    let latency: Int
    let ttft: String
    var errorClass: String?
    var errorMessage: String?
}
