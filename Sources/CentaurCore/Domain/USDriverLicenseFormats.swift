import Foundation

/// Driver-licence number formats of US jurisdictions (docs/domain-onboarding.md §2.7): the rule engine checks a
/// licence against its state's, and the PII detector recognises numbers that fit some state's.
public enum USDriverLicenseFormats {
    /// Jurisdiction → a regular expression over the number upper-cased, without spaces and dashes.
    public static let patterns: [String: String] = [
        "AK": #"^\d{1,7}$"#, "AL": #"^\d{1,8}$"#, "AR": #"^\d{4,9}$"#, "AZ": #"^([A-Z]\d{1,8}|[A-Z]{2}\d{2,5}|\d{9})$"#,
        "CA": #"^[A-Z]\d{7}$"#, "CO": #"^(\d{9}|[A-Z]\d{3,6}|[A-Z]{2}\d{2,5})$"#, "CT": #"^\d{9}$"#, "DC": #"^(\d{7}|\d{9})$"#,
        "DE": #"^\d{1,7}$"#, "FL": #"^[A-Z]\d{12}$"#, "GA": #"^\d{7,9}$"#, "GU": #"^[A-Z]\d{14}$"#,
        "HI": #"^([A-Z]\d{8}|\d{9})$"#, "IA": #"^(\d{9}|\d{3}[A-Z]{2}\d{4})$"#, "ID": #"^([A-Z]{2}\d{6}[A-Z]|\d{9})$"#,
        "IL": #"^[A-Z]\d{11,12}$"#, "IN": #"^([A-Z]\d{9}|\d{9,10})$"#, "KS": #"^([A-Z]\d[A-Z]\d[A-Z]|[A-Z]\d{8}|\d{9})$"#,
        "KY": #"^([A-Z]\d{8,9}|\d{9})$"#, "LA": #"^\d{1,9}$"#, "MA": #"^([A-Z]\d{8}|[A-Z]{2}\d{7}|\d{9})$"#,
        "MD": #"^[A-Z]\d{12}$"#, "ME": #"^(\d{7,8}|\d{7}[A-Z])$"#, "MI": #"^([A-Z]\d{10}|[A-Z]\d{12})$"#,
        "MN": #"^[A-Z]\d{12}$"#, "MO": #"^([A-Z]\d{5,9}|[A-Z]\d{6}R|\d{3}[A-Z]\d{6}|\d{8}[A-Z]{2}|\d{9}[A-Z]|\d{9})$"#,
        "MS": #"^\d{9}$"#, "MT": #"^([A-Z]\d{8}|\d{13}|\d{9}|\d{14})$"#, "NC": #"^\d{1,12}$"#, "ND": #"^([A-Z]{3}\d{6}|\d{9})$"#,
        "NE": #"^(\d{1,7}|[A-Z]\d{6,8})$"#, "NH": #"^(\d{2}[A-Z]{3}\d{5}|[A-Z]{3}\d{8})$"#, "NJ": #"^[A-Z]\d{14}$"#,
        "NM": #"^\d{8,9}$"#, "NV": #"^(\d{9,10}|\d{12}|X\d{8})$"#,
        "NY": #"^([A-Z]\d{7}|[A-Z]\d{18}|\d{8}|\d{9}|\d{16}|[A-Z]{8})$"#, "OH": #"^([A-Z]\d{4,8}|[A-Z]{2}\d{3,7}|\d{8})$"#,
        "OK": #"^([A-Z]\d{9}|\d{9})$"#, "OR": #"^(\d{1,9}|[AB]\d{6})$"#, "PA": #"^\d{8}$"#, "PR": #"^(\d{9}|\d{5,7})$"#,
        "RI": #"^(\d{7,8}|[A-Z]\d{6})$"#, "SC": #"^\d{5,11}$"#, "SD": #"^(\d{6,10}|\d{12})$"#, "TN": #"^\d{7,9}$"#,
        "TX": #"^\d{7,8}$"#, "UT": #"^\d{4,10}$"#, "VA": #"^([A-Z]\d{8,11}|\d{9})$"#, "VT": #"^(\d{8}|\d{7}A)$"#,
        "WA": #"^(?=.{12}$)[A-Z]{1,7}[A-Z0-9*]{4,11}$"#, "WI": #"^[A-Z]\d{13}$"#, "WV": #"^(\d{7}|[A-Z]{1,2}\d{5,6})$"#,
        "WY": #"^\d{9,10}$"#,
    ]


    public static let compiled: [String: NSRegularExpression] = patterns.mapValues { try! NSRegularExpression(pattern: $0) }

    /// The number upper-cased without spaces and dashes.
    public static func clean(_ number: String) -> String {
        number.uppercased().filter { $0 != " " && $0 != "-" }
    }

    /// The jurisdictions whose format the number fits.
    public static func jurisdictions(matching number: String) -> [String] {
        let cleaned = clean(number)
        let range = NSRange(cleaned.startIndex..., in: cleaned)
        return compiled.filter { $0.value.firstMatch(in: cleaned, range: range) != nil }.map(\.key).sorted()
    }
}
