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

        var table = ElementTable(bytes: bytes)
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
            let key = UInt32(bytes[low]) << 16 | UInt32(bytes[low + 1]) << 8 | UInt32(bytes[low + 2])
            guard table.range(key) == nil else { return }
            var valueStart = low + 3, valueEnd = upper
            while valueStart < valueEnd, bytes[valueStart] == 0x20 { valueStart += 1 }
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 { valueEnd -= 1 }
            table.entries.append((key, valueStart, valueEnd))
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

        guard table.has("DAQ") || table.has("DCS") || table.has("DAA") || table.has("DAB") else {
            throw AAMVAError(kind: .noLicenceData, message: "AAMVA header found but no licence data: no DAQ (licence number) or name element")
        }
        fill(&license, from: table)
        var elements: [String: String] = [:]
        elements.reserveCapacity(table.entries.count)
        for entry in table.entries {
            let id = ElementTable.name(entry.key)
            let value = table.text(entry.lo, entry.hi)
            elements[id] = value
            if entry.key >> 16 == 0x5A { license.jurisdictionElements[id] = value } // Z??
        }
        license.elements = elements
        return license
    }

    // MARK: - Fields

    private static func fill(_ license: inout AAMVALicense, from table: ElementTable) {
        func value(_ id: StaticString) -> String? { table.value(id) }
        func present(_ id: StaticString) -> String? { table.value(id, excludingNone: true) }

        // Country first: it decides the date order.
        let jurisdiction = value("DAJ")
        license.jurisdiction = jurisdiction
        if let country = value("DCG"), country == "USA" || country == "CAN" || country == "MEX" {
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
        func date(_ id: StaticString) -> String? { table.date(id, yearFirst: yearFirst) }

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
            let commaParts = full.split(separator: ",", omittingEmptySubsequences: false).map { trimSpaces($0) }
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
        license.lastTruncated = truncation(table.firstByte("DDE"))
        license.firstTruncated = truncation(table.firstByte("DDF"))
        license.middleTruncated = truncation(table.firstByte("DDG"))

        license.dateOfBirth = date("DBB")
        license.issueDate = date("DBD")
        license.expirationDate = date("DBA")
        license.revisionDate = date("DDB")
        license.under18Until = date("DDH")
        license.under19Until = date("DDI")
        license.under21Until = date("DDJ")

        switch table.firstByte("DBC") {
        case UInt8(ascii: "1"), UInt8(ascii: "M"): license.sex = "male"
        case UInt8(ascii: "2"), UInt8(ascii: "F"): license.sex = "female"
        case UInt8(ascii: "9"), UInt8(ascii: "X"): license.sex = "unspecified"
        default: break
        }
        if let (lo, hi) = table.range(ElementTable.key("DAU")) { applyHeight(table.bytes[lo..<hi], to: &license) }
        if license.heightCm == nil, license.heightInches == nil, let cm = table.integer("DAV") {
            license.heightCm = cm
        }
        if let weight = value("DAW") {
            let upper = weight.uppercased()
            if upper.hasSuffix("KG") { license.weightKg = Int(digitsOnly(upper)) } else { license.weightLb = Int(digitsOnly(upper)) }
        }
        if license.weightKg == nil, let kg = table.integer("DAX") { license.weightKg = kg }
        if let code = table.integer("DCE"), (0...9).contains(code), table.value("DCE")?.count == 1 { license.weightRange = weightRanges[code] }
        license.eyeColor = value("DAY").flatMap { eyeColors[$0.uppercased()] }
        license.hairColor = value("DAZ").flatMap { hairColors[$0.uppercased()] }
        license.ethnicity = value("DCL")
        license.placeOfBirth = value("DCI")

        license.street1 = value("DAG") ?? value("DAL")
        license.street2 = present("DAH")
        license.city = value("DAI") ?? value("DAN")
        if let (lo, hi) = table.range(ElementTable.key("DAK")) { applyPostal(table.bytes[lo..<hi], country: license.country, to: &license) }

        license.idNumber = value("DAQ")
        license.documentDiscriminator = value("DCF")
        license.inventoryControlNumber = value("DCK")
        license.auditInformation = value("DCJ")
        license.vehicleClass = present("DCA") ?? present("DAR")
        license.restrictions = present("DCB") ?? present("DAS")
        license.endorsements = present("DCD") ?? present("DAT")
        license.realIdCompliance = value("DDA")
        // A present but blank flag element reads as "no" (AK's DDL is a single space).
        func presentFlag(_ id: StaticString) -> Bool? { table.has(id) ? (flag(table.firstByte(id)) ?? false) : nil }
        license.limitedDuration = presentFlag("DDD")
        license.organDonor = table.has("DDK") ? presentFlag("DDK") : value("DBH").map { ["Y", "1", "DONOR"].contains($0.uppercased()) }
        license.veteran = presentFlag("DDL")
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

    private static func applyHeight(_ raw: ArraySlice<UInt8>, to license: inout AAMVALicense) {
        var number = 0, digitCount = 0
        var letters: UInt16 = 0 // the last two letters, upper-cased
        var separated = false
        var parts: [Int] = []
        var current = -1
        for byte in raw {
            if byte >= 0x30 && byte <= 0x39 {
                number = number * 10 + Int(byte - 0x30); digitCount += 1
                current = (current < 0 ? 0 : current) * 10 + Int(byte - 0x30)
            } else {
                if current >= 0 { parts.append(current); current = -1 }
                if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "'") { separated = true }
                let letter = byte & 0xDF
                if letter >= 0x41 && letter <= 0x5A { letters = letters << 8 | UInt16(letter) }
            }
            if digitCount > 6 { return }
        }
        if current >= 0 { parts.append(current) }
        guard digitCount > 0 else { return }
        if letters == 0x434D { // CM
            license.heightCm = number
        } else if letters == 0x494E { // IN
            license.heightInches = number
        } else if separated {
            if parts.count == 2 { license.heightInches = parts[0] * 12 + parts[1] }
        } else if digitCount == 3, number / 100 >= 3, number % 100 < 12 {
            // AAMVA 2000 "FII": feet then two digits of inches (506 = 5'06").
            license.heightInches = number / 100 * 12 + number % 100
        } else {
            license.heightInches = number
        }
    }

    private static func applyPostal(_ raw: ArraySlice<UInt8>, country: String?, to license: inout AAMVALicense) {
        // Up to the first run of four spaces, letters and digits only, upper-cased.
        var kept: [UInt8] = []
        kept.reserveCapacity(11)
        var spaces = 0
        var hasLetter = false
        for byte in raw {
            if byte == 0x20 { spaces += 1; if spaces == 4 { break }; continue }
            spaces = 0
            if byte >= 0x30 && byte <= 0x39 { kept.append(byte) } else {
                let letter = byte & 0xDF
                if letter >= 0x41 && letter <= 0x5A { kept.append(letter); hasLetter = true }
            }
        }
        guard !kept.isEmpty else { return }
        if country == "CAN" || hasLetter {
            let code = String(decoding: kept, as: UTF8.self)
            license.postalCode = code
            license.postalCodeDisplay = kept.count == 6 ? String(decoding: kept[0..<3] + [0x20] + kept[3..<6], as: UTF8.self) : code
            return
        }
        if kept.count > 9 { kept.removeLast(kept.count - 9) }
        if kept.count == 9, kept[5...].allSatisfy({ $0 == 0x30 }) { kept.removeLast(4) }
        license.postalCode = String(decoding: kept, as: UTF8.self)
        license.postalCodeDisplay = kept.count == 9
            ? String(decoding: kept[0..<5] + [0x2D] + kept[5..<9], as: UTF8.self) : license.postalCode
    }

    /// `MMDDCCYY` (US) or `CCYYMMDD` (Canada, AAMVA 2000) → `CCYY-MM-DD`; the other order is tried when
    /// the expected one is not a date.
    static func isoDate(_ raw: String, yearFirst: Bool) -> String? {
        isoDate(Array(raw.utf8)[...], yearFirst: yearFirst)
    }

    static func isoDate(_ raw: ArraySlice<UInt8>, yearFirst: Bool) -> String? {
        // The first 8 digits when the value starts with them (junk may be glued after: "09212009M"),
        // else the digits among separators when there are exactly 8 ("07-05-2019").
        var leadingDigits = 0
        for byte in raw { if byte >= 0x30 && byte <= 0x39 { leadingDigits += 1 } else { break } }
        let allDigits = leadingDigits >= 8 ? 8 : raw.reduce(0) { $1 >= 0x30 && $1 <= 0x39 ? $0 + 1 : $0 }
        guard leadingDigits >= 8 || allDigits == 8 else { return nil }
        var d = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &d) { buffer in
            let digits = buffer.bindMemory(to: Int.self)
            var count = 0
            for byte in raw where byte >= 0x30 && byte <= 0x39 {
                digits[count] = Int(byte - 0x30)
                count += 1
                if count == 8 { break }
            }
        }
        func number(_ a: Int, _ b: Int, _ c: Int = -1, _ e: Int = -1) -> Int {
            withUnsafeBytes(of: d) { buffer in
                let digits = buffer.bindMemory(to: Int.self)
                var n = digits[a] * 10 + digits[b]
                if c >= 0 { n = n * 100 + digits[c] * 10 + digits[e] }
                return n
            }
        }
        func build(year: Int, month: Int, day: Int) -> String? {
            guard (1...12).contains(month), (1...31).contains(day), year >= 1850, year <= 9999 else { return nil }
            return String(unsafeUninitializedCapacity: 10) { buffer in
                buffer[0] = UInt8(48 + year / 1000); buffer[1] = UInt8(48 + year / 100 % 10)
                buffer[2] = UInt8(48 + year / 10 % 10); buffer[3] = UInt8(48 + year % 10); buffer[4] = 0x2D
                buffer[5] = UInt8(48 + month / 10); buffer[6] = UInt8(48 + month % 10); buffer[7] = 0x2D
                buffer[8] = UInt8(48 + day / 10); buffer[9] = UInt8(48 + day % 10)
                return 10
            }
        }
        let yearFirstDate = build(year: number(0, 1, 2, 3), month: number(4, 5), day: number(6, 7))
        let yearLastDate = build(year: number(4, 5, 6, 7), month: number(0, 1), day: number(2, 3))
        return yearFirst ? (yearFirstDate ?? yearLastDate) : (yearLastDate ?? yearFirstDate)
    }

    private static func truncation(_ byte: UInt8?) -> Bool? {
        switch byte {
        case UInt8(ascii: "T"): true
        case UInt8(ascii: "N"): false
        default: nil
        }
    }

    private static func flag(_ byte: UInt8?) -> Bool? {
        switch byte {
        case UInt8(ascii: "1"), UInt8(ascii: "Y"): true
        case UInt8(ascii: "0"), UInt8(ascii: "N"): false
        default: nil
        }
    }

    private static func trimSpaces(_ s: Substring) -> String {
        var slice = s[...]
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
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

/// Element values by id, as byte ranges into the cleaned payload: Strings are made only for the values
/// a field needs, and lookups compare packed 3-byte ids (no hashing).
struct ElementTable {
    let bytes: [UInt8]
    var entries: [(key: UInt32, lo: Int, hi: Int)] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
        entries.reserveCapacity(48)
    }

    @inline(__always) static func key(_ id: StaticString) -> UInt32 {
        let p = id.utf8Start
        return UInt32(p[0]) << 16 | UInt32(p[1]) << 8 | UInt32(p[2])
    }

    static func name(_ key: UInt32) -> String {
        String(unsafeUninitializedCapacity: 3) { buffer in
            buffer[0] = UInt8(key >> 16 & 0xFF); buffer[1] = UInt8(key >> 8 & 0xFF); buffer[2] = UInt8(key & 0xFF)
            return 3
        }
    }

    func range(_ key: UInt32) -> (Int, Int)? {
        for entry in entries where entry.key == key { return (entry.lo, entry.hi) }
        return nil
    }

    func has(_ id: StaticString) -> Bool { range(Self.key(id)) != nil }

    /// The value without surrounding spaces and commas; nil when empty (or `NONE`, when asked).
    func value(_ id: StaticString, excludingNone: Bool = false) -> String? {
        guard var (lo, hi) = range(Self.key(id)) else { return nil }
        while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x2C { lo += 1 }
        while hi > lo, bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x2C { hi -= 1 }
        guard hi > lo else { return nil }
        if excludingNone, hi - lo == 4, (bytes[lo] | 0x20) == 0x6E, (bytes[lo + 1] | 0x20) == 0x6F,
           (bytes[lo + 2] | 0x20) == 0x6E, (bytes[lo + 3] | 0x20) == 0x65 { return nil }
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }

    func text(_ lo: Int, _ hi: Int) -> String { String(decoding: bytes[lo..<hi], as: UTF8.self) }

    /// The first non-space byte, upper-cased.
    func firstByte(_ id: StaticString) -> UInt8? {
        guard var (lo, hi) = range(Self.key(id)) else { return nil }
        while lo < hi, bytes[lo] == 0x20 { lo += 1 }
        guard lo < hi else { return nil }
        let byte = bytes[lo]
        return byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
    }

    /// The digits of a value as an integer.
    func integer(_ id: StaticString) -> Int? {
        guard let (lo, hi) = range(Self.key(id)) else { return nil }
        var number = 0, seen = false
        for i in lo..<hi where bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            number = number * 10 + Int(bytes[i] - 0x30); seen = true
            if number > 1_000_000 { return nil }
        }
        return seen ? number : nil
    }

    func date(_ id: StaticString, yearFirst: Bool) -> String? {
        guard let (lo, hi) = range(Self.key(id)) else { return nil }
        return AAMVAParser.isoDate(bytes[lo..<hi], yearFirst: yearFirst)
    }
}
