import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurStore
import CentaurTestSupport
import Foundation
import Testing

/// Every path of the workflow end to end on the generated sample documents, through the real extractors
/// (zxing, qpdf, poppler, tesseract), the rules and the policy, with a real SQLite store.
@Suite("Onboarding paths on sample documents", .serialized, Samples.needed)
struct WorkflowPathTests {
    @Test("clean → auto-approved; adjusted, rule-blocked, disagreeing and adversarial → review; resubmission → auto-approved; then correction and decision")
    func everyPath() async throws {
        let (service, store) = try Fixtures.service()
        let outcomes = try await OnboardingDemo(service: service, samples: Samples.root).run()
        func outcome(_ path: String) throws -> OnboardingDemo.Outcome { try #require(outcomes.first { $0.path == path }) }

        let clean = try outcome("clean")
        #expect(clean.state == .autoApproved, "\(clean.reasons)")
        #expect(clean.reasons.isEmpty)

        let adjusted = try outcome("adjusted")
        #expect(adjusted.state == .inReview)
        #expect(adjusted.reasons.contains { $0.contains("high-risk field form-i9.ssn") }, "\(adjusted.reasons)")

        let blocked = try outcome("rule-blocked")
        #expect(blocked.state == .inReview)
        #expect(blocked.reasons.contains { $0.hasPrefix("block: license_expired") }, "\(blocked.reasons)")

        let disagreeing = try outcome("disagreeing")
        #expect(disagreeing.state == .inReview)
        #expect(disagreeing.reasons.contains { $0.hasPrefix("sources disagree on form-i9.") }, "\(disagreeing.reasons)")

        // The document asks to be approved: it never is by the machine.
        let adversarial = try outcome("adversarial")
        #expect(adversarial.state == .inReview)
        #expect(adversarial.reasons.contains { $0.contains("document_instruction_text") }, "\(adversarial.reasons)")

        let resubmitted = try outcome("resubmitted")
        #expect(resubmitted.id == blocked.id)
        let notes = try await service.detail(applicationID: blocked.id).extracted.map(\.notes)
        #expect(resubmitted.state == .autoApproved, "\(resubmitted.reasons) \(notes)")
        let history = try await service.detail(applicationID: blocked.id)
        #expect(history.decisions.map(\.decision) == ["request_resubmission"])
        #expect(history.documents.filter(\.superseded).map(\.name) == ["license-back-expired.png"])

        // The queue holds the three still in review, highest risk first.
        let queue = try await service.queue()
        #expect(Set(queue.map(\.id)) == Set([adjusted.id, disagreeing.id, adversarial.id]))
        #expect(queue.map(\.risk) == queue.map(\.risk).sorted(by: >))

        // A reviewer corrects the SSN back to what the machine read: a labelled example saying the sources were right.
        let detail = try await service.detail(applicationID: adjusted.id)
        let adjustment = try #require(detail.adjustments.first)
        #expect(adjustment.kind == "applicant" && adjustment.field == "ssn" && adjustment.highRisk)
        let original = try JSONValue(parsing: adjustment.before)
        _ = try await service.claim(applicationID: adjusted.id, reviewer: "reviewer:ana")
        await #expect(throws: WorkflowError.self) { try await service.claim(applicationID: adjusted.id, reviewer: "reviewer:bo") }
        _ = try await service.correct(applicationID: adjusted.id, documentType: "form-i9", field: "ssn", value: original,
                                      reason: "the SSN card shows the original number", reviewer: "reviewer:ana")
        let examples = try await service.datasetExamples(documentType: "form-i9")
        #expect(examples.map(\.kind) == ["applicant_adjustment", "reviewer_correction"])
        let correction = try #require(examples.last)
        #expect(correction.humanValue == original && correction.actor == "reviewer:ana")
        #expect(correction.rightSources.arrayValue?.contains("form_fields") == true)
        #expect(correction.documents.arrayValue?.first?["sha256"]?.stringValue?.count == 64)
        let applicantExample = try #require(examples.first)
        #expect(applicantExample.rightSources == .array([]), "no source read the applicant's new SSN")

        // Error rates: the applicant's change counts against the sources until the reviewer restores the value.
        let rates = try await service.fieldErrorRates()
        let ssn = rates.filter { $0.documentType == "form-i9" && $0.field == "ssn" }
        #expect(!ssn.isEmpty && ssn.allSatisfy { $0.observed >= 3 })
        let disagreeingRates = rates.filter { $0.documentType == "form-i9" && $0.errors > 0 }
        #expect(disagreeingRates.isEmpty == false, "the disagreeing I-9's losing source should show errors")

        // Decisions need a reason and a state that allows them; an acknowledged decision is stored.
        await #expect(throws: WorkflowError.self) {
            try await service.decide(applicationID: adjusted.id, decision: .approve, reason: "  ", reviewer: "reviewer:ana")
        }
        await #expect(throws: WorkflowError.self) {
            try await service.decide(applicationID: clean.id, decision: .reject, reason: "no", reviewer: "reviewer:ana")
        }
        let approved = try await service.decide(applicationID: adjusted.id, decision: .approve, reason: "SSN verified", reviewer: "reviewer:ana")
        #expect(approved.state == .approved)
        await #expect(throws: WorkflowError.self) { try await service.confirm(applicationID: adjusted.id, values: [:]) }
        #expect(try await store.decisions(applicationID: adjusted.id).map(\.reason) == ["SSN verified"])

        // Every step is in the audit log, which verifies.
        let audit = try await store.auditEntries(target: "application:\(adjusted.id)").map(\.action)
        #expect(audit == ["application.created", "document.uploaded", "document.uploaded", "document.uploaded", "extraction.finished",
                          "application.confirmed", "rules.checked", "application.sent_to_review", "review.claimed", "review.corrected",
                          "review.decided"])
        let verification = AuditVerification.verify(try await store.auditEntries(target: nil), head: try await store.auditHead())
        #expect(verification.valid)
    }

    @Test("a corrupt upload is refused with a clear error and changes nothing")
    func corruptUpload() async throws {
        let (service, store) = try Fixtures.service()
        let (application, _) = try await service.create()
        let truncated = try Samples.data("person-01", "i9.pdf").prefix(400)
        await #expect(throws: WorkflowError.self) {
            try await service.upload(applicationID: application.id, kind: .i9, name: "i9.pdf", data: Data(truncated))
        }
        #expect(try await store.application(id: application.id)?.state == .created)
        #expect(try await store.documents(applicationID: application.id).isEmpty)
    }

    @Test("confirming a field that does not exist is refused; the application waits for a valid confirmation")
    func unknownField() async throws {
        let (service, store) = try Fixtures.service()
        let (application, _) = try await service.create(marketState: "IL")
        _ = try await service.upload(applicationID: application.id, kind: .licenseBack, name: "back.png", data: try Samples.data("person-02", "license-back.png"))
        try await JobWorker(onboarding: service, signal: JobSignal()).drain()
        #expect(try await store.application(id: application.id)?.state == .awaitingApplicant)
        await #expect(throws: WorkflowError.self) {
            try await service.confirm(applicationID: application.id, values: ["us-drivers-license": ["favourite_colour": "blue"]])
        }
        await #expect(throws: WorkflowError.self) {
            try await service.confirm(applicationID: application.id, values: ["form-i9": ["ssn": "123456789"]])
        }
        #expect(try await store.application(id: application.id)?.state == .awaitingApplicant)
        // Only a licence: the missing I-9 is a reason for review.
        let confirmed = try await service.confirm(applicationID: application.id, values: [:])
        #expect(confirmed.state == .inReview)
        #expect(try await service.detail(applicationID: application.id).reasons.contains("no form-i9 was read"))
    }
}

@Suite("Parallel uploads", Samples.needed)
struct ParallelUploadTests {
    @Test("uploads to one application in parallel all land, and one extraction reads them all")
    func parallel() async throws {
        let (service, store) = try Fixtures.service()
        let (application, _) = try await service.create(marketState: "IL")
        let files: [(DocumentKind, String)] = [(.licenseFront, "license-front.png"), (.licenseBack, "license-back.png"), (.i9, "i9.pdf")]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (kind, file) in files {
                let data = try Samples.data("person-01", file)
                group.addTask { _ = try await service.upload(applicationID: application.id, kind: kind, name: file, data: data) }
            }
            try await group.waitForAll()
        }
        #expect(try await store.documents(applicationID: application.id).count == 3)
        try await JobWorker(onboarding: service, signal: JobSignal()).drain()
        let view = try await service.applicantView(applicationID: application.id)
        #expect(view.state == .awaitingApplicant)
        #expect(Set(view.extracted?.map(\.type) ?? []) == ["us-drivers-license", "form-i9"])
        #expect(try await store.jobs(subject: application.id).allSatisfy { $0.status == .done })
    }
}
