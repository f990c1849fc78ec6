import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurRules
import CentaurStore
import Foundation
import CentaurTestSupport
import Testing

/// The fail-closed matrix: bad packets made by scripts/generate-samples (folder `adversarial/`) and the
/// samples themselves, each through the real extractors, rules and policy. None may be auto-approved; the
/// clean packets still are.
@Suite("Adversarial packets", .serialized, Samples.needed)
struct AdversarialPacketTests {
    /// One file to upload: the slot, and the file under the samples folder.
    struct Upload: Sendable {
        var kind: DocumentKind
        var file: String
        /// A phrase of the refusal the applicant must see, or nil when the upload must be accepted.
        var refusedWith: String?
    }

    struct Packet: Sendable, CustomTestStringConvertible {
        var name: String
        var uploads: [Upload]
        /// The applicant's changes at confirmation.
        var edits: [String: [String: JSONValue]] = [:]
        var expectedState: String
        /// Phrases that must each be among the review reasons.
        var expectedReasons: [String] = []
        var testDescription: String { name }
    }

    static func clean(_ person: String = "person-01") -> [Upload] {
        [Upload(kind: .licenseFront, file: "\(person)/license-front.png"), Upload(kind: .licenseBack, file: "\(person)/license-back.png"),
         Upload(kind: .i9, file: "\(person)/i9.pdf")]
    }

    static func replacing(_ kind: DocumentKind, with file: String, refusedWith: String? = nil) -> [Upload] {
        clean().map { $0.kind == kind ? Upload(kind: kind, file: file, refusedWith: refusedWith) : $0 }
    }

    static let packets: [Packet] = [
        Packet(name: "clean person 01", uploads: clean(), expectedState: "auto_approved"),
        Packet(name: "clean person 01 with the flattened I-9", uploads: replacing(.i9, with: "person-01/i9-flat.pdf"), expectedState: "auto_approved"),
        Packet(name: "blank image as the licence back", uploads: replacing(.licenseBack, with: "adversarial/blank.png", refusedWith: "could not read the barcode"),
               expectedState: "in_review", expectedReasons: ["no licence barcode"]),
        Packet(name: "noise as the licence back", uploads: replacing(.licenseBack, with: "adversarial/noise.png", refusedWith: "barcode"),
               expectedState: "in_review", expectedReasons: ["no licence barcode"]),
        Packet(name: "a PDF417 of 32 letters A as the licence back",
               uploads: replacing(.licenseBack, with: "adversarial/junk-barcode.png", refusedWith: "not a driving licence barcode"),
               expectedState: "in_review", expectedReasons: ["no licence barcode"]),
        Packet(name: "the I-9 in the licence back slot", uploads: replacing(.licenseBack, with: "person-01/i9-flat.pdf", refusedWith: "looks like a Form I-9"),
               expectedState: "in_review", expectedReasons: ["no licence barcode"]),
        Packet(name: "the licence back in the front slot",
               uploads: [Upload(kind: .licenseFront, file: "person-01/license-back.png", refusedWith: "back of your licence"),
                         Upload(kind: .licenseBack, file: "person-01/license-back.png"), Upload(kind: .i9, file: "person-01/i9.pdf")],
               expectedState: "in_review", expectedReasons: ["not confirmed"]),
        Packet(name: "a blank image as the licence front", uploads: replacing(.licenseFront, with: "adversarial/blank.png", refusedWith: "could not read this photo"),
               expectedState: "in_review", expectedReasons: ["not confirmed"]),
        Packet(name: "the licence back in the I-9 slot", uploads: replacing(.i9, with: "person-01/license-back.png", refusedWith: "Form I-9"),
               expectedState: "in_review", expectedReasons: ["no form-i9 was read"]),
        Packet(name: "the same file in two slots",
               uploads: clean() + [Upload(kind: .licenseFront, file: "person-01/i9.pdf", refusedWith: "same file already uploaded")],
               expectedState: "auto_approved"),
        Packet(name: "another person's licence",
               uploads: [Upload(kind: .licenseFront, file: "person-02/license-front.png"), Upload(kind: .licenseBack, file: "person-02/license-back.png"),
                         Upload(kind: .i9, file: "person-01/i9.pdf")],
               expectedState: "in_review", expectedReasons: ["i9_license_name_mismatch", "i9_license_dob_mismatch"]),
        Packet(name: "an expired licence", uploads: replacing(.licenseBack, with: "adversarial/license-back-expired.png"),
               expectedState: "in_review", expectedReasons: ["block: license_expired", "not confirmed: the licence's expiration date"]),
        Packet(name: "a licence number that fits no Illinois format", uploads: replacing(.licenseBack, with: "adversarial/license-back-bad-number.png"),
               expectedState: "in_review", expectedReasons: ["license_number_format"]),
        Packet(name: "the applicant changes the licence's last name", uploads: clean(),
               edits: ["us-drivers-license": ["last_name": "SMITH"]], expectedState: "in_review",
               expectedReasons: ["changed high-risk field us-drivers-license.last_name, which barcode read"]),
        Packet(name: "the applicant changes the I-9's date of birth", uploads: clean(),
               edits: ["form-i9": ["date_of_birth": "1980-01-01"]], expectedState: "in_review",
               expectedReasons: ["changed high-risk field form-i9.date_of_birth, which form_fields", "i9_license_dob_mismatch"]),
        Packet(name: "instructions to the AI on the licence front", uploads: replacing(.licenseFront, with: "person-01/license-front-injected.png"),
               expectedState: "in_review", expectedReasons: ["document_instruction_text"]),
        Packet(name: "instructions to the reviewer in a long I-9 form field", uploads: replacing(.i9, with: "adversarial/i9-injected.pdf"),
               expectedState: "in_review", expectedReasons: ["document_instruction_text"]),
        Packet(name: "an I-9 with Section 1 empty", uploads: replacing(.i9, with: "adversarial/i9-section1-empty.pdf"),
               expectedState: "in_review", expectedReasons: ["missing evidence: the I-9's last name was not read", "i9_section1_unsigned"]),
        Packet(name: "I-9 status 4 without the numbers or date it requires", uploads: replacing(.i9, with: "adversarial/i9-status4-missing.pdf"),
               expectedState: "in_review", expectedReasons: ["i9_status4_document_missing", "i9_status4_expiry_missing"]),
        Packet(name: "a licence alone", uploads: Array(clean().prefix(2)), expectedState: "in_review", expectedReasons: ["no form-i9 was read"]),
        Packet(name: "an I-9 alone", uploads: [Upload(kind: .i9, file: "person-01/i9.pdf")], expectedState: "in_review",
               expectedReasons: ["no us-drivers-license was read"]),
        // Edits that would silence a rule (the probing of the Security issue, item 2).
        Packet(name: "a limited-duration licence whose flag the applicant clears", uploads: replacing(.licenseBack, with: "adversarial/license-back-limited.png"),
               edits: ["us-drivers-license": ["limited_duration": false]], expectedState: "in_review",
               expectedReasons: ["silenced rule license_limited_duration_status", "changed us-drivers-license.limited_duration, which barcode read"]),
        Packet(name: "the applicant rewrites the under-21 date", uploads: clean(),
               edits: ["us-drivers-license": ["under_21_until": "2030-01-01"]], expectedState: "in_review",
               expectedReasons: ["changed us-drivers-license.under_21_until, which barcode read", "license_under_21_date_wrong"]),
        Packet(name: "the applicant types a signature into an unsigned I-9", uploads: replacing(.i9, with: "adversarial/i9-unsigned.pdf"),
               edits: ["form-i9": ["employee_signature": "Jane Q. Sampleton"]], expectedState: "in_review",
               expectedReasons: ["silenced rule i9_section1_unsigned", "missing evidence: the I-9's employee signature was not read"]),
    ]

    @Test("each packet lands in its expected state with its reasons, and none but the clean ones is auto-approved", arguments: packets)
    func packet(_ packet: Packet) async throws {
        let (service, store) = try Fixtures.service()
        let (application, _) = try await service.create(marketState: "IL")
        for upload in packet.uploads {
            let data = try Data(contentsOf: Samples.root.appendingPathComponent(upload.file))
            let name = URL(fileURLWithPath: upload.file).lastPathComponent
            if let phrase = upload.refusedWith {
                let error = await #expect(throws: WorkflowError.self) {
                    try await service.upload(applicationID: application.id, kind: upload.kind, name: name, data: data)
                }
                #expect(error?.kind == .wrongDocument, "\(upload.file) as \(upload.kind): \(String(describing: error))")
                #expect(error?.description.contains(phrase) == true, "\(upload.file) as \(upload.kind): \(String(describing: error))")
            } else {
                _ = try await service.upload(applicationID: application.id, kind: upload.kind, name: name, data: data)
            }
        }
        // A refused upload stores nothing.
        let stored = try await store.documents(applicationID: application.id).filter { !$0.superseded }
        #expect(stored.count == Set(packet.uploads.filter { $0.refusedWith == nil }.map(\.kind)).count)
        try await JobWorker(onboarding: service, signal: JobSignal()).drain()
        let waiting = try #require(try await store.application(id: application.id))
        #expect(waiting.state == .awaitingApplicant, "\(waiting.lastError ?? "")")
        let confirmed = try await service.confirm(applicationID: application.id, values: packet.edits)
        let reasons = try await service.detail(applicationID: application.id).reasons
        #expect(confirmed.state.rawValue == packet.expectedState, "\(reasons)")
        for phrase in packet.expectedReasons {
            #expect(reasons.contains { $0.contains(phrase) }, "expected a reason with \"\(phrase)\" among \(reasons)")
        }
        // A stored reason's kind is read back from its message as the policy made it (the queue filters on it).
        let groupKinds: [String: Set<String>] = ["Blocking rules and documents": ["document", "missing_document"], "Rules that fired": ["rule"],
            "Missing or unconfirmed evidence": ["missing_evidence", "not_confirmed", "model_only"],
            "Changes made by the applicant": ["adjustment", "silenced_rule"], "Sources that disagree": ["disagreement"]]
        for group in try await service.detail(applicationID: application.id).reasonGroups {
            for message in group.reasons {
                #expect(groupKinds[group.title]?.contains(AutoApprovalPolicy.Reason.kind(ofMessage: message)) == true, "\(group.title): \(message)")
            }
        }
        // The reviewer's checklist says the same as the policy: all verified on a clean packet.
        let evidence = try await service.detail(applicationID: application.id).evidence
        #expect(evidence.count == 15)
        if packet.expectedState == "auto_approved" {
            #expect(reasons.isEmpty)
            #expect(evidence.allSatisfy { $0.status == .verified }, "\(evidence.filter { $0.status != .verified })")
            #expect(evidence.first { $0.field == "id_number" }?.confirmedBy == ["license-front.png"])
            // Shown as the barcode printed it; outlined on the front where OCR read it.
            #expect(evidence.first { $0.documentType == "us-drivers-license" && $0.field == "date_of_birth" }?.printed?.count == 8)
            #expect(evidence.filter { $0.boxes.contains { $0.document == "license-front.png" } }.count >= 3,
                    "\(evidence.map { "\($0.field): \($0.boxes.map(\.document))" })")
        } else {
            #expect(evidence.contains { $0.status != .verified } || reasons.contains { $0.contains("rule") || $0.hasPrefix("review:") || $0.hasPrefix("block:") },
                    "a packet in review shows why in its checklist or its rules")
        }
    }

    @Test("a PDF of 5,000 blank pages is refused at once, at upload and by extraction, without rendering a page")
    func pageBomb() async throws {
        let bomb = TestDocuments.blankPDF(pages: 5000)
        let (service, store) = try Fixtures.service()
        let (application, _) = try await service.create(marketState: "IL")
        for kind in [DocumentKind.i9, .licenseBack] {
            let error = await #expect(throws: WorkflowError.self) {
                try await service.upload(applicationID: application.id, kind: kind, name: "bomb.pdf", data: bomb)
            }
            #expect(error?.kind == .unreadableDocument && error?.description.contains("5000 pages") == true, "\(String(describing: error))")
        }
        #expect(try await store.documents(applicationID: application.id).isEmpty)
        await #expect(throws: DocumentError.self) {
            _ = try await DocumentPipeline(modelUse: .never).extract(try Document(name: "bomb.pdf", data: bomb), as: .formI9)
        }
        // The limit is the documents' own size: a 4-page I-9 passes it.
        try await PDFLimits.check(try Document(name: "i9.pdf", data: try Samples.data("person-01", "i9.pdf")))
    }

    @Test("a PDF page larger than 24 inches and an image over 40 megapixels are refused before any tool renders or decodes them")
    func pixelBombs() async throws {
        let poster = await #expect(throws: DocumentError.self) {
            try await PDFLimits.check(try Document(name: "poster.pdf", data: TestDocuments.blankPDF(pages: 2, width: 612, height: 14_400)))
        }
        #expect(poster?.description.contains("612 × 14400 points") == true, "\(String(describing: poster))")
        try await PDFLimits.check(try Document(name: "tabloid.pdf", data: TestDocuments.blankPDF(pages: 2, width: 792, height: 1224)))
        let huge = await #expect(throws: DocumentError.self) {
            try await PDFLimits.check(try Document(name: "huge.png", data: TestDocuments.pngHeader(width: 50_000, height: 50_000)))
        }
        #expect(huge?.description.contains("50000 × 50000 pixels") == true, "\(String(describing: huge))")
        try await PDFLimits.check(try Document(name: "photo.png", data: TestDocuments.pngHeader(width: 4032, height: 3024)))
        // At upload, the applicant is told at once.
        let (service, _) = try Fixtures.service()
        let (application, _) = try await service.create(marketState: "IL")
        let error = await #expect(throws: WorkflowError.self) {
            try await service.upload(applicationID: application.id, kind: .licenseBack, name: "huge.png", data: TestDocuments.pngHeader(width: 50_000, height: 50_000))
        }
        #expect(error?.kind == .unreadableDocument)
    }

    @Test("the approval policy is data in the rule set, names only real fields and rules, and reads as a checklist")
    func policyIsData() throws {
        let rules = try RuleSet.builtIn(named: "driver-onboarding")
        #expect(rules.approval.requiredDocumentTypes == ["us-drivers-license", "form-i9"])
        #expect(rules.approval.documents.first?.required.contains("id_number") == true)
        #expect(rules.approval.mayNotApply["list_a_document_expired"] != nil)
        #expect(rules.approval.mayNotApply["license_expired"] == nil, "a licence's expiry must always be checked")
        let text = rules.approval.describe(ruleSet: rules)
        #expect(text.contains("every one of the \(rules.rules.count) rules evaluated to pass"))
        // A policy naming a field or rule that does not exist is refused when the rule set loads.
        let bad = """
        id: x
        version: 1
        rules:
          - { id: r, severity: review, when: "license.jurisdiction != \\"IL\\"" }
        approval:
          documents:
            us-drivers-license: { required: [favourite_colour] }
        """
        #expect(throws: RuleSetError.self) { try RuleSet(yaml: bad) }
        let unknownRule = bad.replacingOccurrences(of: "    us-drivers-license: { required: [favourite_colour] }", with: "    us-drivers-license: { required: [id_number] }")
            + "\n  may_not_apply: { nope: because }"
        #expect(throws: RuleSetError.self) { try RuleSet(yaml: unknownRule) }
    }
}
