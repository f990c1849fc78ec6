/// The values of an AAMVA DL/ID barcode, named as `../shared/data/aamva/README.md` names them
/// (and as the `us-drivers-license` document type names its fields).
///
/// Strings are trimmed; `NONE` in class, restriction and endorsement fields counts as absent.
/// Dates are ISO 8601 (`yyyy-mm-dd`) whatever order the card used.
public struct AAMVALicense: Sendable, Hashable, Codable {
    public var documentType: String = "DL"
    public var issuerIIN: String = ""
    /// The jurisdiction the IIN belongs to (nil when the IIN is not on the AAMVA list).
    public var issuerJurisdiction: String?
    public var aamvaVersion: Int = 0
    public var jurisdictionVersion: Int?

    public var firstName: String?
    public var middleName: String?
    public var lastName: String?
    public var suffix: String?
    public var firstTruncated: Bool?
    public var middleTruncated: Bool?
    public var lastTruncated: Bool?

    public var dateOfBirth: String?
    public var issueDate: String?
    public var expirationDate: String?
    public var revisionDate: String?
    public var under18Until: String?
    public var under19Until: String?
    public var under21Until: String?

    public var sex: String?
    public var heightInches: Int?
    public var heightCm: Int?
    public var weightLb: Int?
    public var weightKg: Int?
    public var weightRange: String?
    public var eyeColor: String?
    public var hairColor: String?
    public var ethnicity: String?
    public var placeOfBirth: String?

    public var street1: String?
    public var street2: String?
    public var city: String?
    public var jurisdiction: String?
    public var postalCode: String?
    public var postalCodeDisplay: String?
    public var country: String?

    public var idNumber: String?
    public var documentDiscriminator: String?
    public var inventoryControlNumber: String?
    public var auditInformation: String?
    public var vehicleClass: String?
    public var restrictions: String?
    public var endorsements: String?
    public var realIdCompliance: String?
    public var limitedDuration: Bool?
    public var organDonor: Bool?
    public var veteran: Bool?

    /// `Z??` elements of the jurisdiction subfile(s), by element id.
    public var jurisdictionElements: [String: String] = [:]
    /// Every element as read (id → trimmed value), for provenance.
    public var elements: [String: String] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case documentType = "document_type", issuerIIN = "issuer_iin", issuerJurisdiction = "issuer_jurisdiction"
        case aamvaVersion = "aamva_version", jurisdictionVersion = "jurisdiction_version"
        case firstName = "first_name", middleName = "middle_name", lastName = "last_name", suffix
        case firstTruncated = "first_truncated", middleTruncated = "middle_truncated", lastTruncated = "last_truncated"
        case dateOfBirth = "date_of_birth", issueDate = "issue_date", expirationDate = "expiration_date"
        case revisionDate = "revision_date", under18Until = "under_18_until", under19Until = "under_19_until"
        case under21Until = "under_21_until"
        case sex, heightInches = "height_inches", heightCm = "height_cm", weightLb = "weight_lb", weightKg = "weight_kg"
        case weightRange = "weight_range", eyeColor = "eye_color", hairColor = "hair_color", ethnicity
        case placeOfBirth = "place_of_birth"
        case street1, street2, city, jurisdiction, postalCode = "postal_code", postalCodeDisplay = "postal_code_display"
        case country, idNumber = "id_number", documentDiscriminator = "document_discriminator"
        case inventoryControlNumber = "inventory_control_number", auditInformation = "audit_information"
        case vehicleClass = "vehicle_class", restrictions, endorsements, realIdCompliance = "real_id_compliance"
        case limitedDuration = "limited_duration", organDonor = "organ_donor", veteran
        case jurisdictionElements = "jurisdiction_elements", elements
    }

    /// The AAMVA element each field came from, for provenance (`date_of_birth` ← `DBB`).
    public static let sourceElements: [String: [String]] = [
        "first_name": ["DAC", "DCT", "DAA"], "middle_name": ["DAD", "DCT", "DAA"], "last_name": ["DCS", "DAB", "DAA"],
        "suffix": ["DCU", "DAE", "DAA"], "date_of_birth": ["DBB"], "issue_date": ["DBD"], "expiration_date": ["DBA"],
        "revision_date": ["DDB"], "sex": ["DBC"], "height_inches": ["DAU"], "height_cm": ["DAU", "DAV"],
        "weight_lb": ["DAW"], "weight_kg": ["DAX", "DAW"], "weight_range": ["DCE"], "eye_color": ["DAY"],
        "hair_color": ["DAZ"], "street1": ["DAG"], "street2": ["DAH"], "city": ["DAI"], "jurisdiction": ["DAJ"],
        "postal_code": ["DAK"], "country": ["DCG"], "id_number": ["DAQ"], "document_discriminator": ["DCF"],
        "inventory_control_number": ["DCK"], "audit_information": ["DCJ"], "vehicle_class": ["DCA", "DAR"],
        "restrictions": ["DCB", "DAS"], "endorsements": ["DCD", "DAT"], "real_id_compliance": ["DDA"],
        "limited_duration": ["DDD"], "organ_donor": ["DDK", "DBH"], "veteran": ["DDL"],
        "under_21_until": ["DDJ"], "under_18_until": ["DDH"], "under_19_until": ["DDI"],
    ]
}

/// Why a payload is not an AAMVA DL/ID barcode.
public struct AAMVAError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case tooShort = "too_short"
        case missingComplianceIndicator = "missing_compliance_indicator"
        case missingHeader = "missing_header"
        case invalidHeader = "invalid_header"
        case noLicenceData = "no_licence_data"
    }
    public let kind: Kind
    public let message: String
    public var description: String { message }
}
