import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The applicant's page, reached through the link token (`/apply/{token}`): upload with progress, the extracted
/// values beside the documents to correct and confirm, then the status. Its form's CSRF token is derived from the
/// link token, which only the applicant has.
extension WebPages {
    func registerApplicant<Context: RemoteAddressRequestContext>(on router: Hummingbird.Router<Context>) {
        router.get("/apply/{token}") { _, context in
            try await applicantPage(context.parameters.get("token") ?? "")
        }
        router.get("/apply/{token}/documents/{documentID}") { _, context in
            guard let application = try await onboarding.application(token: context.parameters.get("token") ?? "") else { return notFound() }
            let (record, data) = try await onboarding.documentData(applicationID: application.id, documentID: context.parameters.get("documentID") ?? "")
            return SecurityHeaders.document(record, data)
        }
        router.get("/apply/{token}/documents/{documentID}/pages/{page}") { _, context in
            guard let application = try await onboarding.application(token: context.parameters.get("token") ?? "") else { return notFound() }
            let (record, data) = try await onboarding.documentData(applicationID: application.id, documentID: context.parameters.get("documentID") ?? "")
            return try await renderedPage(record, data, page: context.parameters.get("page"))
        }
        router.post("/apply/{token}/confirm") { request, context in
            let token = context.parameters.get("token") ?? ""
            guard let application = try await onboarding.application(token: token) else { return notFound() }
            let form = try await Self.form(request)
            guard WebSessions.same(form["_csrf"] ?? "", Self.applicantCSRF(token)) else {
                return page("message", Page("Form expired", MessagePage(heading: "Form expired",
                                        text: "The form was missing its security token (CSRF). Reload the page and try again.")), status: .forbidden)
            }
            // Only the values the applicant changed are adjustments.
            let view = try await onboarding.applicantView(applicationID: application.id)
            var values: [String: [String: JSONValue]] = [:]
            for document in view.extracted ?? [] {
                for field in document.fields {
                    let key = "\(document.type).\(field.name)"
                    guard let submitted = form[key] else { continue }
                    if submitted != Self.text(field.value).replacingOccurrences(of: "—", with: "") {
                        values[document.type, default: [:]][field.name] = submitted.isEmpty ? .null : .string(submitted)
                    }
                }
            }
            do {
                _ = try await onboarding.confirm(applicationID: application.id, values: values)
            } catch let error as WorkflowError {
                return try await applicantPage(token, error: error.description, status: error.kind == .invalid ? .badRequest : .conflict)
            }
            return Self.redirect("/apply/\(token)")
        }
    }

    /// The upload steps, in the order an applicant holds the documents, with what makes a photo readable.
    static let uploadSlots: [(kind: DocumentKind, title: String, hint: String)] = [
        (.licenseFront, "Driver licence — front", "Lay the licence flat in good light, with all four corners in the picture."),
        (.licenseBack, "Driver licence — back (with the barcode)", "The barcode must be sharp: hold the phone steady, close enough to fill the picture, with no glare."),
        (.i9, "Form I-9", "Section 1, filled in and signed by you: the PDF, or a photo of the page."),
    ]

    /// The document's name as an applicant calls it.
    static func plainTitle(_ type: String, _ title: String?) -> String {
        switch type {
        case "us-drivers-license": "Your driving licence"
        case "form-i9": "Your Form I-9 (Section 1)"
        default: title ?? type
        }
    }

    static func applicantCSRF(_ token: String) -> String {
        SHA256.hash(data: Data("centaur-applicant-csrf:\(token)".utf8)).prefix(16).hexString
    }

    func notFound() -> Response {
        page("message", Page("Not found", MessagePage(heading: "Not found", text: "This link does not open an application.")), status: .notFound)
    }

    func applicantPage(_ token: String, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let application = try await onboarding.application(token: token) else { return notFound() }
        let applicant = try await onboarding.applicantView(applicationID: application.id)
        let state = applicant.state
        let stateTexts: [ApplicationState: String] = [
            .created: "waiting for your documents", .uploaded: "reading your documents", .extracted: "reading your documents",
            .awaitingApplicant: "please check the values we read", .confirmed: "checking", .checked: "checking",
            .autoApproved: "approved", .inReview: "being reviewed by our team", .approved: "approved", .rejected: "not approved",
            .resubmissionRequested: "please upload new documents",
        ]
        var view = ApplyPage(id: application.id, token: token, stateText: stateTexts[state] ?? state.rawValue)
        view.error = error ?? applicant.error
        if !applicant.problems.isEmpty { view.problems = applicant.problems }
        let current = applicant.documents.filter { !$0.superseded }
        if [.created, .uploaded, .awaitingApplicant, .resubmissionRequested].contains(state) {
            view.canUpload = true
            // One step a document; a slot already filled says so (and may be replaced).
            view.slots = Self.uploadSlots.enumerated().map { index, slot in
                UploadSlotView(kind: slot.kind.rawValue, number: index + 1, count: Self.uploadSlots.count, title: slot.title, hint: slot.hint,
                               received: state == .resubmissionRequested ? nil : current.last { $0.kind == slot.kind.rawValue }?.name)
            }
        }
        if applicant.extractionPending || state == .uploaded {
            view.refresh = true
            view.received = current.map { record in
                Self.uploadSlots.first { $0.kind.rawValue == record.kind }.map { "\($0.title) (\(record.name))" } ?? record.name
            }
        }
        // While the documents are read, or once there are values to check, uploading is tucked away.
        if view.refresh != nil || state == .awaitingApplicant { view.collapsed = true }
        if state == .awaitingApplicant {
            view.confirm = true
            // Each image with the places its values were read, outlined; the one being edited stands out.
            var documents: [DocumentView] = []
            for record in applicant.documents {
                var row = DocumentView(id: record.id, name: record.name, image: record.mediaType.hasPrefix("image/"))
                let placed = (applicant.extracted ?? []).flatMap { document in
                    document.fields.flatMap { field in
                        field.boxes.filter { $0.document == record.name }.map { (box: $0.box, name: "\(document.type).\(field.name)") }
                    }
                }
                row.boxes = try await outlines(placed, on: record, names: \.fields, separator: " ")
                // The applicant's part of a form (the I-9's Section 1) is on its first page: the rest would only push
                // the values a phone's screen away.
                try await addPages(record, shown: 1, to: &row)
                documents.append(row)
            }
            view.documents = documents
            // Only what the applicant must check, in plain words, grouped as the document prints it; machine-only
            // values and the employer's sections stay out; numbers that identify the person are masked until asked.
            view.extracted = (applicant.extracted ?? []).map { document in
                let type = try? DocumentType.named(document.type)
                var groups: [(String, [ApplicantFieldView])] = []
                for field in document.fields {
                    let spec = type?.field(field.name)
                    guard spec?.applicant ?? true else { continue }
                    let group = spec?.group ?? "Other"
                    let row = ApplicantFieldView(
                        key: "\(document.type).\(field.name)", name: spec?.label ?? field.name.replacingOccurrences(of: "_", with: " "),
                        value: field.value.stringValue ?? (field.value == .null ? "" : field.value.jsonString()),
                        sensitive: spec?.sensitive ?? false)
                    if let index = groups.firstIndex(where: { $0.0 == group }) { groups[index].1.append(row) } else { groups.append((group, [row])) }
                }
                return ApplicantDocumentView(title: Self.plainTitle(document.type, type?.title),
                                             groups: groups.map { ApplicantFieldGroup(group: $0.0, fields: $0.1) })
            }
        }
        if [.autoApproved, .inReview, .approved, .rejected].contains(state) {
            view.done = true
            view.doneText = state == .inReview ? "A member of our team is checking your documents." : "We have decided on your application."
        }
        return page("apply", Page("Your application", csrf: Self.applicantCSRF(token), view), status: status)
    }
}
