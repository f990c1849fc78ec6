import Foundation

/// Parses the PDF417 payload of a US or Canadian driver licence or ID card (AAMVA DL/ID Card Design
/// Standard, versions 1–10).
///
/// The parser works on bytes and trusts the data over the header: real payloads come with a UTF-8 BOM,
/// junk before `@`, missing record separators, `AAMVA` instead of `ANSI `, wrong subfile offsets,
/// CR instead of LF and C1 control noise from keyboard-emulating scanners. So it reads the header
/// fields it needs (IIN, version, subfile types), then splits the rest into elements at any separator
/// and strips a subfile's type where it is glued to its first element (`DLDAQ…`, `ZCZCA…`).
public enum AAMVAParser {
    /// The shortest payload that can hold a header (IdParser's limit, kept for the same inputs).
    public static let minimumLength = 31

    public static func parse(_ text: String) throws(AAMVAError) -> AAMVALicense {
        try parse(Array(text.utf8))
    }

    public static func parse(_ raw: [UInt8]) throws(AAMVAError) -> AAMVALicense {
        guard raw.count >= minimumLength else {
            throw AAMVAError(kind: .tooShort, message: "barcode payload too short: \(raw.count) bytes, an AAMVA header alone needs \(minimumLength)")
        }
        let bytes = clean(raw)
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")) else {
            throw AAMVAError(kind: .missingComplianceIndicator, message: "not an AAMVA barcode: no '@' compliance indicator")
        }
        guard let fileType = findFileType(bytes, from: at + 1) else {
            throw AAMVAError(kind: .missingHeader, message: "not an AAMVA barcode: no 'ANSI ' or 'AAMVA' file type after '@'")
        }
        var index = fileType
        func digits(_ count: Int, _ what: String) throws(AAMVAError) -> String {
            guard index + count <= bytes.count, bytes[index..<index + count].allSatisfy(isDigit) else {
                throw AAMVAError(kind: .invalidHeader, message: "invalid AAMVA header: \(what) at byte \(index) is not \(count) digits")
            }
            defer { index += count }
            return String(decoding: bytes[index..<index + count], as: UTF8.self)
        }
        var license = AAMVALicense()
        license.issuerIIN = try digits(6, "issuer identification number")
        license.issuerJurisdiction = IssuerTable.jurisdiction(iin: license.issuerIIN)
        license.aamvaVersion = Int(try digits(2, "AAMVA version"))!
        if license.aamvaVersion >= 2 {
            license.jurisdictionVersion = Int(try digits(2, "jurisdiction version"))
        }
        let entries = Int(try digits(2, "number of entries"))!

        var subfileTypes: [(UInt8, UInt8)] = []
        while subfileTypes.count < max(entries, 1), index + 10 <= bytes.count, isDesignator(bytes, at: index) {
            subfileTypes.append((bytes[index], bytes[index + 1]))
            index += 10
        }
        if subfileTypes.contains(where: { $0 == (UInt8(ascii: "I"), UInt8(ascii: "D")) }) { license.documentType = "ID" }

        var elements: [String: String] = [:]
        elements.reserveCapacity(40)
        var order: [String] = []
        var start = index
        func take(_ lower: Int, _ upper: Int) {
            var low = lower
            while low < upper, bytes[low] == 0x20 { low += 1 }
            // Strip a subfile type glued to the first element: DL/ID before a D element, Zx before a Zx element.
            if upper - low >= 5 {
                let a = bytes[low], b = bytes[low + 1]
                if (a == UInt8(ascii: "D") && b == UInt8(ascii: "L")) || (a == UInt8(ascii: "I") && b == UInt8(ascii: "D")) {
                    if bytes[low + 2] == UInt8(ascii: "D"), isUpper(bytes[low + 3]) { low += 2 }
                } else if a == UInt8(ascii: "Z"), bytes[low + 2] == a, bytes[low + 3] == b {
                    low += 2
                }
            }
            guard upper - low >= 3, isUpper(bytes[low]), isUpper(bytes[low + 1]), isUpper(bytes[low + 2]) || isDigit(bytes[low + 2]) else { return }
            let id = String(decoding: bytes[low..<low + 3], as: UTF8.self)
            guard elements[id] == nil else { return }
            var valueStart = low + 3, valueEnd = upper
            while valueStart < valueEnd, bytes[valueStart] == 0x20 { valueStart += 1 }
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 { valueEnd -= 1 }
            elements[id] = String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)
            order.append(id)
        }
        // A jurisdiction subfile is sometimes glued onto the previous element ("DDB09212009MZIZIC457"):
        // its type written twice ("ZIZI") starts a new element there.
        let zTypes = subfileTypes.filter { $0.0 == UInt8(ascii: "Z") }
        func takeSplittingGlue(_ lower: Int, _ upper: Int) {
            if !zTypes.isEmpty, upper - lower > 8 {
                var i = lower + 4
                while i + 4 <= upper {
                    if bytes[i] == UInt8(ascii: "Z"), bytes[i + 2] == UInt8(ascii: "Z"), bytes[i + 1] == bytes[i + 3],
                       zTypes.contains(where: { $0.1 == bytes[i + 1] }) {
                        take(lower, i)
                        take(i, upper)
                        return
                    }
                    i += 1
                }
            }
            take(lower, upper)
        }
        var position = index
        while position < bytes.count {
            let byte = bytes[position]
            if byte == 0x0A || byte == 0x0D || byte == 0x1E || byte == UInt8(ascii: "|") {
                if position > start { takeSplittingGlue(start, position) }
                start = position + 1
            }
            position += 1
        }
        if bytes.count > start { takeSplittingGlue(start, bytes.count) }

        guard elements["DAQ"] != nil || elements["DCS"] != nil || elements["DAA"] != nil || elements["DAB"] != nil else {
            throw AAMVAError(kind: .noLicenceData, message: "AAMVA header found but no licence data: no DAQ (licence number) or name element")
        }
        fill(&license, from: elements)
        license.elements = elements
        return license
    }

    // MARK: - Fields

    private static func fill(_ license: inout AAMVALicense, from elements: [String: String]) {
        func value(_ id: String) -> String? {
            guard let raw = elements[id] else { return nil }
            let trimmed = raw.trimmingCharacters(in: nameTrim)
            return trimmed.isEmpty ? nil : trimmed
        }
        func present(_ id: String) -> String? {
            guard let v = value(id), v.uppercased() != "NONE" else { return nil }
            return v
        }

        // Country first: it decides the date order.
        let jurisdiction = value("DAJ")
        license.jurisdiction = jurisdiction
        if let country = value("DCG")?.uppercased(), ["USA", "CAN", "MEX"].contains(country) {
            license.country = country
        } else if license.aamvaVersion == 1 {
            license.country = "USA"
        } else if let issuer = IssuerTable.issuer(iin: license.issuerIIN) {
            license.country = issuer.country
        } else if let jurisdiction, IssuerTable.isCanadian(jurisdiction) {
            license.country = "CAN"
        } else {
            license.country = "USA"
        }
        let yearFirst = license.country == "CAN" || license.aamvaVersion == 1
        func date(_ id: String) -> String? { value(id).flatMap { isoDate($0, yearFirst: yearFirst) } }

        // Names: v4+ DCS/DAC/DAD; v2–3 DCS + DCT given names; v1 DAA full name or DAB/DAC/DAD.
        license.lastName = value("DCS") ?? value("DAB")
        license.firstName = value("DAC")
        license.middleName = present("DAD").map(joinNames)
        if license.firstName == nil, let given = present("DCT") {
            let parts = splitNames(given)
            license.firstName = parts.first
            if license.middleName == nil, parts.count > 1 { license.middleName = parts.dropFirst().joined(separator: " ") }
        }
        license.suffix = present("DCU") ?? present("DAE")
        if let full = value("DAA") {
            let commaParts = full.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if commaParts.count >= 3 {
                license.lastName = license.lastName ?? nonEmpty(commaParts[0])
                license.firstName = license.firstName ?? nonEmpty(commaParts[1])
                license.middleName = license.middleName ?? nonEmpty(commaParts[2]).map(joinNames)
                if commaParts.count >= 4 { license.suffix = license.suffix ?? nonEmpty(commaParts[3]) }
            } else if commaParts.count == 2 {
                license.lastName = license.lastName ?? nonEmpty(commaParts[0])
                let given = splitNames(commaParts[1])
                license.firstName = license.firstName ?? given.first
                if license.middleName == nil, given.count > 1 { license.middleName = given.dropFirst().joined(separator: " ") }
            } else {
                let words = splitNames(full)
                if words.count >= 2 {
                    license.firstName = license.firstName ?? words.first
                    license.lastName = license.lastName ?? words.last
                    if words.count > 2, license.middleName == nil { license.middleName = words.dropFirst().dropLast().joined(separator: " ") }
                }
            }
        }
        license.lastTruncated = truncation(value("DDE"))
        license.firstTruncated = truncation(value("DDF"))
        license.middleTruncated = truncation(value("DDG"))

        license.dateOfBirth = date("DBB")
        license.issueDate = date("DBD")
        license.expirationDate = date("DBA")
        license.revisionDate = date("DDB")
        license.under18Until = date("DDH")
        license.under19Until = date("DDI")
        license.under21Until = date("DDJ")

        switch value("DBC")?.uppercased() {
        case "1", "M": license.sex = "male"
        case "2", "F": license.sex = "female"
        case "9", "X": license.sex = "unspecified"
        default: break
        }
        if let height = value("DAU") { applyHeight(height, version: license.aamvaVersion, to: &license) }
        if license.heightCm == nil, license.heightInches == nil, let cm = value("DAV").flatMap({ Int(digitsOnly($0)) }) {
            license.heightCm = cm
        }
        if let weight = value("DAW") {
            let upper = weight.uppercased()
            if upper.hasSuffix("KG") { license.weightKg = Int(digitsOnly(upper)) } else { license.weightLb = Int(digitsOnly(upper)) }
        }
        if license.weightKg == nil, let kg = value("DAX").flatMap({ Int(digitsOnly($0)) }) { license.weightKg = kg }
        if let code = value("DCE").flatMap(Int.init), (0...9).contains(code) { license.weightRange = weightRanges[code] }
        license.eyeColor = value("DAY").flatMap { normaliseColor($0, table: eyeColors) }
        license.hairColor = value("DAZ").flatMap { normaliseColor($0, table: hairColors) }
        license.ethnicity = value("DCL")
        license.placeOfBirth = value("DCI")

        license.street1 = value("DAG") ?? value("DAL")
        license.street2 = present("DAH")
        license.city = value("DAI") ?? value("DAN")
        if let postal = value("DAK") { applyPostal(postal, country: license.country, to: &license) }

        license.idNumber = value("DAQ")
        license.documentDiscriminator = value("DCF")
        license.inventoryControlNumber = value("DCK")
        license.auditInformation = value("DCJ")
        license.vehicleClass = present("DCA") ?? present("DAR")
        license.restrictions = present("DCB") ?? present("DAS")
        license.endorsements = present("DCD") ?? present("DAT")
        license.realIdCompliance = value("DDA")
        // A present but blank flag element reads as "no" (AK's DDL is a single space).
        func presentFlag(_ id: String) -> Bool? { elements[id] == nil ? nil : (flag(value(id)) ?? false) }
        license.limitedDuration = presentFlag("DDD")
        license.organDonor = elements["DDK"] != nil ? presentFlag("DDK") : value("DBH").map { ["Y", "1", "DONOR"].contains($0.uppercased()) }
        license.veteran = presentFlag("DDL")
        for (id, raw) in elements where id.hasPrefix("Z") {
            license.jurisdictionElements[id] = raw
        }
    }

    // MARK: - Helpers

    static let weightRanges = ["0-70", "71-100", "101-130", "131-160", "161-190", "191-220", "221-250", "251-280", "281-320", "321+"]
    static let eyeColors: [String: String] = [
        "BLK": "BLK", "BLACK": "BLK", "BLU": "BLU", "BLUE": "BLU", "BL": "BLU", "BRO": "BRO", "BRN": "BRO", "BR": "BRO",
        "BN": "BRO", "BROWN": "BRO", "DIC": "DIC", "GRY": "GRY", "GRAY": "GRY", "GREY": "GRY", "GRN": "GRN",
        "GREEN": "GRN", "GR": "GRN", "HAZ": "HAZ", "HAZEL": "HAZ", "HZL": "HAZ", "MAR": "MAR", "MAROON": "MAR",
        "PNK": "PNK", "PINK": "PNK",
    ]
    static let hairColors: [String: String] = [
        "BAL": "BAL", "BALD": "BAL", "BLK": "BLK", "BLACK": "BLK", "BLN": "BLN", "BLOND": "BLN", "BLONDE": "BLN",
        "BRO": "BRO", "BRN": "BRO", "BR": "BRO", "BN": "BRO", "BROWN": "BRO", "GRY": "GRY", "GRAY": "GRY",
        "GREY": "GRY", "RED": "RED", "RD": "RED", "SDY": "SDY", "SANDY": "SDY", "WHI": "WHI", "WHITE": "WHI", "WHT": "WHI",
    ]

    private static func normaliseColor(_ raw: String, table: [String: String]) -> String? {
        table[raw.uppercased()]
    }

    private static func applyHeight(_ raw: String, version: Int, to license: inout AAMVALicense) {
        let upper = raw.uppercased()
        let number = digitsOnly(upper)
        if upper.contains("CM") {
            license.heightCm = Int(number)
        } else if upper.contains("IN") {
            license.heightInches = Int(number)
        } else if upper.contains("-") || upper.contains("'") {
            let parts = upper.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            if parts.count == 2 { license.heightInches = parts[0] * 12 + parts[1] }
        } else if number.count == 3, let feet = Int(number.prefix(1)), let inches = Int(number.suffix(2)), feet >= 3, inches < 12 {
            // AAMVA 2000 "FII": feet then two digits of inches (506 = 5'06").
            license.heightInches = feet * 12 + inches
        } else if let inches = Int(number) {
            license.heightInches = inches
        }
    }

    private static func applyPostal(_ raw: String, country: String?, to license: inout AAMVALicense) {
        var kept = raw
        if let run = raw.range(of: "    ") { kept = String(raw[..<run.lowerBound]) }
        let alnum = String(kept.unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }).uppercased()
        guard !alnum.isEmpty else { return }
        if country == "CAN" || alnum.contains(where: \.isLetter) {
            license.postalCode = alnum
            license.postalCodeDisplay = alnum.count == 6 ? "\(alnum.prefix(3)) \(alnum.suffix(3))" : alnum
            return
        }
        var digits = alnum
        if digits.count > 9 { digits = String(digits.prefix(9)) }
        if digits.count == 9, digits.hasSuffix("0000") { digits = String(digits.prefix(5)) }
        license.postalCode = digits
        license.postalCodeDisplay = digits.count == 9 ? "\(digits.prefix(5))-\(digits.suffix(4))" : digits
    }

    /// `MMDDCCYY` (US) or `CCYYMMDD` (Canada, AAMVA 2000) → `CCYY-MM-DD`; the other order is tried when
    /// the expected one is not a date.
    static func isoDate(_ raw: String, yearFirst: Bool) -> String? {
        // The first 8 digits: a value may carry glued junk after them ("09212009M").
        let digits = Array(raw.utf8.prefix(while: isDigit))
        guard digits.count >= 8 || Array(raw.utf8.filter(isDigit)).count == 8 else { return nil }
        let source = digits.count >= 8 ? digits : Array(raw.utf8.filter(isDigit))
        func number(_ range: Range<Int>) -> Int { source[range].reduce(0) { $0 * 10 + Int($1 - 48) } }
        func build(year: Int, month: Int, day: Int) -> String? {
            guard (1...12).contains(month), (1...31).contains(day), year >= 1850 else { return nil }
            return "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
        }
        let yearFirstDate = build(year: number(0..<4), month: number(4..<6), day: number(6..<8))
        let yearLastDate = build(year: number(4..<8), month: number(0..<2), day: number(2..<4))
        return yearFirst ? (yearFirstDate ?? yearLastDate) : (yearLastDate ?? yearFirstDate)
    }

    private static func truncation(_ raw: String?) -> Bool? {
        switch raw?.uppercased() {
        case "T": true
        case "N": false
        default: nil
        }
    }

    private static func flag(_ raw: String?) -> Bool? {
        switch raw?.uppercased() {
        case "1", "Y": true
        case "0", "N": false
        default: nil
        }
    }

    private static func splitNames(_ raw: String) -> [String] {
        raw.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
    }

    private static func joinNames(_ raw: String) -> String { splitNames(raw).joined(separator: " ") }

    private static func nonEmpty(_ raw: String) -> String? { raw.isEmpty ? nil : raw }

    private static func digitsOnly(_ raw: String) -> String { String(raw.filter(\.isASCIIDigitCharacter)) }

    /// Drops a UTF-8 BOM and C1 control characters (U+0080–U+009F, as `C2 80`…`C2 9F`).
    private static func clean(_ raw: [UInt8]) -> [UInt8] {
        var start = 0
        if raw.count >= 3, raw[0] == 0xEF, raw[1] == 0xBB, raw[2] == 0xBF { start = 3 }
        guard raw[start...].contains(0xC2) else { return start == 0 ? raw : Array(raw[start...]) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = start
        while i < raw.count {
            if raw[i] == 0xC2, i + 1 < raw.count, (0x80...0x9F).contains(raw[i + 1]) { i += 2; continue }
            out.append(raw[i]); i += 1
        }
        return out
    }

    private static func findFileType(_ bytes: [UInt8], from start: Int) -> Int? {
        let ansi = Array("ANSI".utf8), aamva = Array("AAMVA".utf8)
        let limit = min(bytes.count - 5, start + 64)
        guard start <= limit else { return nil }
        for i in start...limit {
            if bytes[i..<i + 4].elementsEqual(ansi) { return bytes[i + 4] == 0x20 ? i + 5 : i + 4 }
            if bytes[i..<i + 5].elementsEqual(aamva) { return i + 5 }
        }
        return nil
    }

    private static func isDesignator(_ bytes: [UInt8], at index: Int) -> Bool {
        isUpper(bytes[index]) && (isUpper(bytes[index + 1]) || isDigit(bytes[index + 1]))
            && bytes[index + 2..<index + 10].allSatisfy(isDigit)
    }
}

@inline(__always) private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
@inline(__always) private func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

private let nameTrim = CharacterSet(charactersIn: " ,")
