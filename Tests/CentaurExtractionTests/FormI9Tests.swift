import CentaurCore
import CentaurTestSupport
import Foundation
import Testing
@testable import CentaurExtraction

@Suite("Form I-9: the shared filled forms (AcroForm, flattened, encrypted)")
struct FormI9Tests {
    static let files: [String] = [
        "filled-01.pdf", "filled-01-flat.pdf", "filled-01-encrypted.pdf",
        "filled-02.pdf", "filled-02-flat.pdf", "filled-03.pdf", "filled-03-flat.pdf", "filled-04.pdf", "filled-04-flat.pdf",
    ]

    /// The expected values of a filled form, as schema keys with normalised values (CentaurRulesTests checks its
    /// `expected_issues`).
    static func expected(for file: String) throws -> [String: JSONValue] {
        let person = String(file.prefix(9)) // "filled-0N"
        let json = try JSONValue(parsing: Data(contentsOf: SharedData.url("i9/\(person).json"))).objectValue!
        let mapping = FormFieldExtractor.mappings["form-i9"]!
        var fields: [String: JSONValue] = [:]
        for (name, value) in json {
            if name.hasPrefix("CB_"), value == "/On" { fields["citizenship_status"] = .number(Double(Int(name.dropFirst(3))!)) }
            guard let key = mapping[name], let kind = DocumentType.formI9.field(key)?.kind else { continue }
            let normalized = Normalizer.normalize(value, as: kind)
            if normalized != .null { fields[key] = normalized }
        }
        return fields
    }

    @Test("extracts the expected values, detects the type, and the sources agree", SharedData.needed, arguments: files)
    func extracts(_ file: String) async throws {
        let document = try Document(contentsOf: SharedData.url("i9/\(file)"))
        let results = try await DocumentPipeline(modelUse: .never).extract([document])
        #expect(results.count == 1)
        let result = try #require(results.first)
        #expect(result.documentType == "form-i9")
        let expected = try Self.expected(for: file)
        for (key, value) in expected {
            #expect(result.fields[key] == value, "\(file).\(key): expected \(value), got \(result.fields[key] ?? .null)")
        }
        for key in result.fields.keys where key != "status_boxes_checked" {
            #expect(expected[key] != nil, "\(file): unexpected field \(key) = \(result.fields[key]!)")
        }
        #expect(result.fields["status_boxes_checked"] == 1, "\(file): exactly one status box")
        #expect(result.disagreements.isEmpty, "\(file): \(result.disagreements)")
        // Provenance: the source's own field name, its page and its rectangle.
        let lastName = try #require(result.provenance["last_name"]?.first)
        #expect(lastName.page == 1)
        #expect(lastName.box != nil)
        #expect(lastName.element == "Last Name (Family Name)")
        #expect(lastName.source == (file.contains("flat") ? "layout_text" : "form_fields"))
        if !file.contains("flat") {
            // Two independent sources for the same value: the form field and the printed words.
            #expect(result.provenance["last_name"]?.map(\.source) == ["form_fields", "layout_text"])
        }
    }

    @Test("the extraction decodes into the FormI9 Swift type", SharedData.needed)
    func codable() async throws {
        let results = try await DocumentPipeline(modelUse: .never).extract([try Document(contentsOf: SharedData.url("i9/filled-02.pdf"))])
        let form = try FormI9(fields: try #require(results.first).fields)
        #expect(form.citizenshipStatus == .lawfulPermanentResident)
        #expect(form.aNumber == "A204518337")
        #expect(form.listB?.number == "40918273")
        #expect(form.listB?.expirationDate == "2025-09-30")
        #expect(form.listC?.title == "Social Security Card")
        #expect(form.listA == nil)
        #expect(form.dateOfBirth == "1985-09-30")
    }

    @Test("a form field whose value is not printed is a disagreement")
    func hiddenFieldValue() {
        let type = DocumentType.formI9
        let form = Extraction(documentType: type.id, document: "f.pdf", source: "form_fields", fields: [
            "last_name": ExtractedField(value: "SAMPLETON", provenance: Provenance(source: "form_fields", document: "f.pdf", raw: "Sampleton", element: "Last Name (Family Name)")),
            "ssn": ExtractedField(value: "773748092", provenance: Provenance(source: "form_fields", document: "f.pdf", raw: "773748092", element: "US Social Security Number")),
        ])
        let text = Extraction(documentType: type.id, document: "f.pdf", source: "text", text: "Last Name Sampleton  SSN 7 7 3 7 4 8 0 9 3")
        let result = Reconciler.reconcile([form, text], type: type)
        #expect(result.fields["ssn"] == "773748092")
        #expect(result.disagreements.map(\.field) == ["ssn"])
        #expect(result.disagreements.first?.values.last?.note?.contains("not in the page text") == true)
    }
}
