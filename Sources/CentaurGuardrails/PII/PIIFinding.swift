/// Entity types, named as Microsoft Presidio names them so findings interoperate.
public enum PIIType: String, Sendable, Hashable, Codable, CaseIterable {
    case usSSN = "US_SSN"
    case usITIN = "US_ITIN"
    case usPassport = "US_PASSPORT"
    case usDriverLicense = "US_DRIVER_LICENSE"
    case usBankNumber = "US_BANK_NUMBER"
    case abaRoutingNumber = "ABA_ROUTING_NUMBER"
    case creditCard = "CREDIT_CARD"
    case ibanCode = "IBAN_CODE"
    case emailAddress = "EMAIL_ADDRESS"
    case phoneNumber = "PHONE_NUMBER"
    case ipAddress = "IP_ADDRESS"
    case dateTime = "DATE_TIME"
    case location = "LOCATION"
    case streetAddress = "STREET_ADDRESS"
    case person = "PERSON"
    case uscisANumber = "USCIS_A_NUMBER"
    case i94Number = "I94_NUMBER"
}

/// One piece of personal data found in a text.
public struct PIIFinding: Sendable, Hashable, Codable {
    public var type: PIIType
    /// Offsets in Unicode scalars (Python `str` indices); `end` is exclusive.
    public var start: Int
    public var end: Int
    /// 0…1: how sure the recogniser is, after context words.
    public var score: Double
    public var text: String

    public init(type: PIIType, start: Int, end: Int, score: Double, text: String) {
        self.type = type; self.start = start; self.end = end; self.score = score; self.text = text
    }
}
