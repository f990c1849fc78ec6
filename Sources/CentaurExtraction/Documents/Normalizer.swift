import CentaurCore
import Foundation

/// Turns raw values from any source into the canonical form of their field's kind, so that values from
/// the barcode, the form fields, OCR and a model compare equal when they mean the same thing.
///
/// `N/A`, `NA`, `NONE` (for optional text) and blanks become null.
public enum Normalizer {
    public static func normalize(_ value: JSONValue, as kind: DocumentType.FieldKind) -> JSONValue {
        switch value {
        case .null, .array, .object: return value == .null ? .null : value
        case .bool(let flag):
            return kind == .boolean ? .bool(flag) : .string(flag ? "true" : "false")
        case .number(let number):
            switch kind {
            case .integer: return .number(number.rounded())
            case .number, .money: return .number(number)
            case .boolean: return .bool(number != 0)
            default: return normalize(.string(JSONValue.number(number).jsonString()), as: kind)
            }
        case .string(let raw):
            let text = collapse(raw)
            if text.isEmpty || ["N/A", "NA", "N / A"].contains(text.uppercased()) { return .null }
            switch kind {
            case .name: return .string(text.uppercased())
            case .text: return .string(text)
            case .code: return .string(text.uppercased())
            case .identifier:
                let stripped = text.uppercased().filter { $0 != " " && $0 != "-" }
                return stripped.isEmpty ? .null : .string(stripped)
            case .date: return isoDate(text).map(JSONValue.string) ?? .string(text)
            case .integer:
                let digits = text.filter { $0.isNumber || $0 == "-" }
                return Int(digits).map { .number(Double($0)) } ?? .string(text)
            case .number, .money: return money(text).map(JSONValue.number) ?? .string(text)
            case .boolean:
                switch text.uppercased() {
                case "TRUE", "YES", "Y", "1", "/ON", "ON", "X": return .bool(true)
                case "FALSE", "NO", "N", "0", "/OFF", "OFF": return .bool(false)
                default: return .string(text)
                }
            }
        }
    }

    /// Normalises a value of one field: its kind's form, then an allowed value a short form names
    /// uniquely (`F` → `FEMALE`).
    public static func normalize(_ value: JSONValue, for field: DocumentType.Field) -> JSONValue {
        let normalized = normalize(value, as: field.kind)
        guard let allowed = field.allowed, let text = normalized.stringValue, !allowed.contains(text) else { return normalized }
        let candidates = allowed.filter { $0.hasPrefix(text) }
        return candidates.count == 1 ? .string(candidates[0]) : normalized
    }

    /// Normalises every field of a document type in `values`; unknown keys are dropped.
    public static func normalize(_ values: [String: JSONValue], for type: DocumentType) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for field in type.fields {
            guard let value = values[field.name] else { continue }
            let normalized = normalize(value, for: field)
            if normalized != .null { out[field.name] = normalized }
        }
        return out
    }

    /// Whitespace trimmed and inner runs collapsed to one space.
    static func collapse(_ raw: String) -> String {
        raw.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    private static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    /// `mm/dd/yyyy`, `m/d/yyyy`, `mm-dd-yyyy`, `mm.dd.yyyy`, `yyyy-mm-dd`, `mmddyyyy`, `yyyymmdd`,
    /// `Jan 5, 2020`, `05 JAN 2020` → `yyyy-mm-dd`; nil when it is not a date.
    public static func isoDate(_ raw: String) -> String? {
        let text = raw.trimmingCharacters(in: .whitespaces).uppercased()
        func build(_ year: Int, _ month: Int, _ day: Int) -> String? {
            guard (1...12).contains(month), (1...daysIn(month, year)).contains(day), (1850...2200).contains(year) else { return nil }
            return String(format: "%04d-%02d-%02d", year, month, day)
        }
        let parts = text.split(whereSeparator: { "/-. ,".contains($0) }).map(String.init)
        if parts.count == 3 {
            if let month = months.firstIndex(where: { parts[0].hasPrefix($0) }), let day = Int(parts[1]), let year = Int(parts[2]) {
                return build(year, month + 1, day)
            }
            if let month = months.firstIndex(where: { parts[1].hasPrefix($0) }), let day = Int(parts[0]), let year = Int(parts[2]) {
                return build(year, month + 1, day)
            }
            guard let a = Int(parts[0]), let b = Int(parts[1]), let c = Int(parts[2]) else { return nil }
            if parts[0].count == 4 { return build(a, b, c) }
            if parts[2].count == 4 { return build(c, a, b) }
            if parts[2].count == 2 { return build(c + (c > 50 ? 1900 : 2000), a, b) }
            return nil
        }
        if parts.count == 1, text.count == 8, text.allSatisfy(\.isNumber) {
            let digits = Array(text).map { Int(String($0))! }
            func number(_ r: Range<Int>) -> Int { digits[r].reduce(0) { $0 * 10 + $1 } }
            return build(number(4..<8), number(0..<2), number(2..<4)) ?? build(number(0..<4), number(4..<6), number(6..<8))
        }
        return nil
    }

    public static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `$1,234.56`, `1234.56`, `(12.00)` (negative), `-12` → a number.
    public static func money(_ raw: String) -> Double? {
        var text = raw.trimmingCharacters(in: .whitespaces)
        var negative = false
        if text.hasPrefix("(") && text.hasSuffix(")") { negative = true; text = String(text.dropFirst().dropLast()) }
        if text.hasPrefix("-") { negative = true; text.removeFirst() }
        text = text.replacingOccurrences(of: "$", with: "").replacingOccurrences(of: ",", with: "")
            .replacingOccurrences(of: "USD", with: "").trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(text) else { return nil }
        return negative ? -value : value
    }
}
