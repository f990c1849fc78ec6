/// AAMVA Issuer Identification Numbers → jurisdiction, from the AAMVA IIN list
/// (domain notes §2.6; the "sequential IIN" tables some generators ship are wrong).
public enum IssuerTable {
    public struct Issuer: Sendable, Hashable {
        public let iin: String
        public let jurisdiction: String
        public let country: String
    }

    private static let us: [(String, String)] = [
        ("AL", "636033"), ("AK", "636059"), ("AZ", "636026"), ("AR", "636021"), ("CA", "636014"),
        ("CO", "636020"), ("CT", "636006"), ("DE", "636011"), ("DC", "636043"), ("FL", "636010"),
        ("GA", "636055"), ("HI", "636047"), ("ID", "636050"), ("IL", "636035"), ("IN", "636037"),
        ("IA", "636018"), ("KS", "636022"), ("KY", "636046"), ("LA", "636007"), ("ME", "636041"),
        ("MD", "636003"), ("MA", "636002"), ("MI", "636032"), ("MN", "636038"), ("MS", "636051"),
        ("MO", "636030"), ("MT", "636008"), ("NE", "636054"), ("NV", "636049"), ("NH", "636039"),
        ("NJ", "636036"), ("NM", "636009"), ("NY", "636001"), ("NC", "636004"), ("ND", "636034"),
        ("OH", "636023"), ("OK", "636058"), ("OR", "636029"), ("PA", "636025"), ("RI", "636052"),
        ("SC", "636005"), ("SD", "636042"), ("TN", "636053"), ("TX", "636015"), ("UT", "636040"),
        ("VT", "636024"), ("VA", "636000"), ("WA", "636045"), ("WV", "636061"), ("WI", "636031"),
        ("WY", "636060"), ("US", "636027"), ("AS", "604427"), ("GU", "636019"), ("MP", "604430"),
        ("PR", "604431"), ("VI", "636062"),
    ]
    private static let canada: [(String, String)] = [
        ("AB", "604432"), ("AB", "990876"), ("BC", "636028"), ("MB", "636048"), ("NB", "636017"),
        ("NL", "636016"), ("NS", "636013"), ("NT", "604434"), ("NU", "604433"), ("ON", "636012"),
        ("PE", "604426"), ("QC", "604428"), ("SK", "636044"), ("YT", "604429"),
    ]
    private static let mexico: [(String, String)] = [("COAH", "636056"), ("HGO", "636057")]

    private static let byIIN: [String: Issuer] = {
        var table: [String: Issuer] = [:]
        for (code, iin) in us { table[iin] = Issuer(iin: iin, jurisdiction: code, country: "USA") }
        for (code, iin) in canada { table[iin] = Issuer(iin: iin, jurisdiction: code, country: "CAN") }
        for (code, iin) in mexico { table[iin] = Issuer(iin: iin, jurisdiction: code, country: "MEX") }
        return table
    }()

    /// The issuer of a 6-digit IIN, or nil when the number is not on the list.
    public static func issuer(iin: String) -> Issuer? { byIIN[iin] }

    /// The jurisdiction code of an IIN (`636014` → `CA`).
    public static func jurisdiction(iin: String) -> String? { byIIN[iin]?.jurisdiction }

    /// Whether a jurisdiction code is Canadian.
    public static func isCanadian(_ jurisdiction: String) -> Bool {
        canada.contains { $0.0 == jurisdiction }
    }
}
