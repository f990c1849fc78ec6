import CentaurCore
import Foundation

/// Reads a fillable PDF's AcroForm fields with `qpdf --json` (which opens the official I-9's AES encryption
/// with its empty password) and maps them to the document type's keys. Provenance carries the AcroForm
/// name, the page and the widget's rectangle in PDF points.
public struct FormFieldExtractor: Extractor {
    public let source = "form_fields"

    public init() {}

    /// AcroForm field → schema key, per document type. The I-9 names are those of the 08/01/23 edition
    /// (`../shared/data/i9/fields.tsv`).
    public static let mappings: [String: [String: String]] = [
        "form-i9": [
            "Last Name (Family Name)": "last_name",
            "First Name Given Name": "first_name",
            "Employee Middle Initial (if any)": "middle_initial",
            "Employee Other Last Names Used (if any)": "other_last_names",
            "Address Street Number and Name": "street",
            "Apt Number (if any)": "apartment",
            "City or Town": "city",
            "State": "state",
            "ZIP Code": "zip_code",
            "Date of Birth mmddyyyy": "date_of_birth",
            "US Social Security Number": "ssn",
            "Employees E-mail Address": "email",
            "Telephone Number": "phone",
            "3 A lawful permanent resident Enter USCIS or ANumber": "a_number",
            "USCIS ANumber": "a_number",
            "Exp Date mmddyyyy": "status_expiration_date",
            "Form I94 Admission Number": "i94_number",
            "Foreign Passport Number and Country of IssuanceRow1": "foreign_passport",
            "Signature of Employee": "employee_signature",
            "Today's Date mmddyyy": "employee_signature_date",
            "Document Title 1": "list_a_title",
            "Issuing Authority 1": "list_a_issuer",
            "Document Number 0 (if any)": "list_a_number",
            "Expiration Date if any": "list_a_expiration_date",
            "List B Document 1 Title": "list_b_title",
            "List B Issuing Authority 1": "list_b_issuer",
            "List B Document Number 1": "list_b_number",
            "List B Expiration Date 1": "list_b_expiration_date",
            "List C Document Title 1": "list_c_title",
            "List C Issuing Authority 1": "list_c_issuer",
            "List C Document Number 1": "list_c_number",
            "List C Expiration Date 1": "list_c_expiration_date",
            "FirstDayEmployed mmddyyyy": "first_day_employed",
            "Last Name First Name and Title of Employer or Authorized Representative": "employer_name_title",
            "Signature of Employer or AR": "employer_signature",
            "S2 Todays Date mmddyyyy": "employer_signature_date",
            "Employers Business or Org Name": "business_name",
            "Employers Business or Org Address": "business_address",
            "Additional Information": "additional_information",
        ],
    ]

    /// One AcroForm field as qpdf reports it.
    public struct FormField: Sendable, Hashable {
        public let name: String
        public let value: String?
        public let page: Int?
        public let rect: BoundingBox?
        public let isCheckbox: Bool
    }

    public func extract(_ document: Document, as type: DocumentType) async throws -> Extraction? {
        guard document.format == .pdf, let mapping = Self.mappings[type.id] else { return nil }
        let formFields = try await readFields(document)
        guard !formFields.isEmpty else { return nil }
        return Self.extraction(of: formFields, type: type, mapping: mapping, document: document.name)
    }

    static func extraction(of formFields: [FormField], type: DocumentType, mapping: [String: String], document: String) -> Extraction {
        var fields: [String: ExtractedField] = [:]
        for formField in formFields {
            guard let key = mapping[formField.name], let field = type.field(key), let raw = formField.value else { continue }
            let value = Normalizer.normalize(.string(raw), for: field)
            guard value != .null, fields[key] == nil else { continue }
            fields[key] = ExtractedField(value: value, provenance: Provenance(
                source: "form_fields", document: document, page: formField.page, raw: raw, element: formField.name, box: formField.rect))
        }
        if type.id == DocumentType.formI9.id {
            // Status boxes CB_1…CB_4 (on-state /On): which one, and how many are checked.
            let checked = formFields.filter { $0.name.range(of: #"^CB_[1-4]$"#, options: .regularExpression) != nil && $0.value != nil && $0.value != "/Off" }
            if !formFields.filter({ $0.name.hasPrefix("CB_") }).isEmpty {
                fields["status_boxes_checked"] = ExtractedField(value: .number(Double(checked.count)), provenance: Provenance(
                    source: "form_fields", document: document, page: checked.first?.page, raw: checked.map(\.name).joined(separator: ","), element: "CB_1…CB_4"))
            }
            if checked.count == 1, let box = checked.first, let status = Int(box.name.dropFirst(3)) {
                fields["citizenship_status"] = ExtractedField(value: .number(Double(status)), provenance: Provenance(
                    source: "form_fields", document: document, page: box.page, raw: box.value, element: box.name, box: box.rect))
            }
        }
        return Extraction(documentType: type.id, document: document, source: "form_fields", fields: fields)
    }

    /// Every terminal AcroForm field with its value, page and rectangle.
    ///
    /// Two small qpdf reports rather than one large one: the AcroForm (values, pages, widget objects),
    /// then only the widget objects of fields that have a value (their `/Rect`).
    public func readFields(_ document: Document) async throws -> [FormField] {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let pdf = scratch.file("input.pdf")
        try document.data.write(to: pdf)
        let output = try await Subprocess.qpdf.run(["--json", "--json-key=acroform", pdf.path])
        // qpdf exits 3 for warnings (damaged but readable files); anything else is a failure.
        guard output.status == 0 || output.status == 3 else {
            throw DocumentError("\(document.name): the PDF cannot be read (\(output.stderrText.split(separator: "\n").first ?? "qpdf failed"))")
        }
        let json: JSONValue
        do { json = try await offload { try JSONValue(parsing: output.stdout) } } catch {
            throw DocumentError("\(document.name): qpdf's report could not be read: \(error)")
        }
        guard json["acroform"]?["hasacroform"] == true, let list = json["acroform"]?["fields"]?.arrayValue else { return [] }
        struct Raw { let name: String; let value: String?; let page: Int?; let object: String?; let isCheckbox: Bool }
        let raws = list.compactMap { field -> Raw? in
            guard let name = field["fullname"]?.stringValue else { return nil }
            return Raw(name: name, value: field["value"].flatMap(Self.qpdfString), page: field["pageposfrom1"]?.intValue,
                       object: field["annotation"]?["object"]?.stringValue, isCheckbox: field["ischeckbox"]?.boolValue ?? false)
        }
        let wanted = raws.filter { ($0.value.map { !$0.isEmpty && $0 != "/Off" } ?? false) }.compactMap(\.object)
        var rects: [String: BoundingBox] = [:]
        if !wanted.isEmpty {
            let objectArguments = wanted.compactMap { $0.split(separator: " ").first.map { "--json-object=\($0)" } }
            let objectsOutput = try await Subprocess.qpdf.run(["--json", "--json-key=qpdf"] + objectArguments + [pdf.path])
            if objectsOutput.status == 0 || objectsOutput.status == 3,
               let objects = try? await offload({ try JSONValue(parsing: objectsOutput.stdout) })["qpdf"]?[1]?.objectValue {
                for object in wanted {
                    if let numbers = objects["obj:\(object)"]?["value"]?["/Rect"]?.arrayValue?.compactMap(\.doubleValue), numbers.count == 4 {
                        rects[object] = BoundingBox(x: min(numbers[0], numbers[2]), y: min(numbers[1], numbers[3]),
                                                    width: abs(numbers[2] - numbers[0]), height: abs(numbers[3] - numbers[1]), unit: "pt")
                    }
                }
            }
        }
        return raws.map { raw in
            FormField(name: raw.name, value: raw.value, page: raw.page, rect: raw.object.flatMap { rects[$0] }, isCheckbox: raw.isCheckbox)
        }
    }

    /// qpdf JSON v2 strings: `u:text` (Unicode), `b:hex` (bytes), `/Name`; null for none.
    static func qpdfString(_ value: JSONValue) -> String? {
        guard let text = value.stringValue else { return nil }
        if text.hasPrefix("u:") { return String(text.dropFirst(2)) }
        if text.hasPrefix("b:") {
            let hex = Array(text.dropFirst(2))
            var bytes: [UInt8] = []
            var i = 0
            while i + 1 < hex.count { if let b = UInt8(String(hex[i...i + 1]), radix: 16) { bytes.append(b) }; i += 2 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return text
    }
}
