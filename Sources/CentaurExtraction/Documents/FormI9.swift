import CentaurCore
import Foundation

/// A Form I-9 (edition 08/01/23) as Swift values: the `form-i9` document type's fields, normalised
/// (dates `yyyy-mm-dd`, names upper-cased, identifiers without spaces or dashes).
public struct FormI9: Sendable, Hashable, Codable {
    /// Section 1 citizenship or immigration status (check boxes 1–4).
    public enum CitizenshipStatus: Int, Sendable, Hashable, Codable {
        case citizen = 1
        case noncitizenNational = 2
        case lawfulPermanentResident = 3
        case authorizedToWork = 4
    }

    /// A List A, B or C document recorded in Section 2.
    public struct ListDocument: Sendable, Hashable, Codable {
        public var title: String?
        public var issuer: String?
        public var number: String?
        public var expirationDate: String?

        enum CodingKeys: String, CodingKey { case title, issuer, number, expirationDate = "expiration_date" }
    }

    public var lastName: String?
    public var firstName: String?
    public var middleInitial: String?
    public var otherLastNames: String?
    public var street: String?
    public var apartment: String?
    public var city: String?
    public var state: String?
    public var zipCode: String?
    public var dateOfBirth: String?
    public var ssn: String?
    public var email: String?
    public var phone: String?
    public var citizenshipStatus: CitizenshipStatus?
    public var statusBoxesChecked: Int?
    public var aNumber: String?
    public var statusExpirationDate: String?
    public var i94Number: String?
    public var foreignPassport: String?
    public var employeeSignature: String?
    public var employeeSignatureDate: String?
    public var listA: ListDocument?
    public var listB: ListDocument?
    public var listC: ListDocument?
    public var firstDayEmployed: String?
    public var employerNameTitle: String?
    public var employerSignature: String?
    public var employerSignatureDate: String?
    public var businessName: String?
    public var businessAddress: String?
    public var additionalInformation: String?

    enum CodingKeys: String, CodingKey {
        case lastName = "last_name", firstName = "first_name", middleInitial = "middle_initial", otherLastNames = "other_last_names"
        case street, apartment, city, state, zipCode = "zip_code", dateOfBirth = "date_of_birth", ssn, email, phone
        case citizenshipStatus = "citizenship_status", statusBoxesChecked = "status_boxes_checked", aNumber = "a_number"
        case statusExpirationDate = "status_expiration_date", i94Number = "i94_number", foreignPassport = "foreign_passport"
        case employeeSignature = "employee_signature", employeeSignatureDate = "employee_signature_date"
        case listA = "list_a", listB = "list_b", listC = "list_c", firstDayEmployed = "first_day_employed"
        case employerNameTitle = "employer_name_title", employerSignature = "employer_signature"
        case employerSignatureDate = "employer_signature_date", businessName = "business_name"
        case businessAddress = "business_address", additionalInformation = "additional_information"
    }

    /// The form from the `form-i9` fields of an extraction (flat `list_b_number` etc. become `listB`).
    public init(fields: [String: JSONValue]) throws {
        var object = fields
        for list in ["a", "b", "c"] {
            var document: [String: JSONValue] = [:]
            for part in ["title", "issuer", "number", "expiration_date"] {
                if let value = object.removeValue(forKey: "list_\(list)_\(part)") { document[part] = value }
            }
            if !document.isEmpty { object["list_\(list)"] = .object(document) }
        }
        self = try JSONValue.object(object).decode(as: FormI9.self)
    }
}
