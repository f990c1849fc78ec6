import CentaurCore
import CentaurExtraction
import Foundation

/// Identifier and name checks from the domain notes (`../shared/docs/domain-onboarding.md` §1.8, §2.6, §2.7,
/// §3.1). The rule language calls these; they are plain functions so other code can too.
public enum DomainChecks {
    // MARK: SSN (§1.8)

    public enum SSNProblem: String, Sendable {
        /// Not 9 digits (`^\d{3}-?\d{2}-?\d{4}$`).
        case format
        /// Area 000, 666 or 900–999.
        case invalidArea = "invalid_area"
        /// Group 00 or serial 0000.
        case invalidGroupOrSerial = "invalid_group_or_serial"
        /// Structurally valid but never issued or publicised (123-45-6789, 078-05-1120, 219-09-9999, 457-55-5462).
        case knownInvalid = "known_invalid"
    }

    static let knownInvalidSSNs: Set<String> = ["123456789", "078051120", "219099999", "457555462"]

    /// The first problem of an SSN in precedence order (format, area, group/serial, known invalid), or nil.
    public static func ssnProblem(_ raw: String) -> SSNProblem? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let chars = Array(text)
        let digits: String
        if chars.count == 9, chars.allSatisfy(\.isASCIIDigitCharacter) {
            digits = text
        } else if chars.count == 11, chars[3] == "-", chars[6] == "-",
                  chars.enumerated().allSatisfy({ $0.offset == 3 || $0.offset == 6 || $0.element.isASCIIDigitCharacter }) {
            digits = text.replacingOccurrences(of: "-", with: "")
        } else {
            return .format
        }
        let area = Int(digits.prefix(3))!, group = Int(digits.dropFirst(3).prefix(2))!, serial = Int(digits.suffix(4))!
        if area == 0 || area == 666 || area >= 900 { return .invalidArea }
        if group == 0 || serial == 0 { return .invalidGroupOrSerial }
        if knownInvalidSSNs.contains(digits) { return .knownInvalid }
        return nil
    }

    // MARK: Licence numbers (§2.7)

    static var licenseFormats: [String: String] { USDriverLicenseFormats.patterns }

    /// Whether a licence number fits its state's format (upper-cased, spaces and dashes removed).
    /// Nil when the jurisdiction has no known format (Canadian provinces, territories without one).
    public static func matchesLicenseFormat(_ number: String, jurisdiction: String) -> Bool? {
        guard let regex = USDriverLicenseFormats.compiled[jurisdiction.uppercased()] else { return nil }
        let cleaned = number.uppercased().filter { $0 != " " && $0 != "-" }
        return regex.firstMatch(in: cleaned, range: NSRange(cleaned.startIndex..., in: cleaned)) != nil
    }

    // MARK: USCIS identifiers (§1.8)

    /// A-Number / USCIS Number: 7–9 digits, optionally prefixed by `A`.
    public static func aNumberValid(_ raw: String) -> Bool {
        var text = raw.uppercased().filter { $0 != " " && $0 != "-" }
        if text.hasPrefix("A") { text.removeFirst() }
        return (7...9).contains(text.count) && text.allSatisfy(\.isASCIIDigitCharacter)
    }

    /// I-94 admission number: 11 digits, or 9 digits + a letter + a digit (since 05/2019).
    public static func i94Valid(_ raw: String) -> Bool {
        let text = Array(raw.uppercased().filter { $0 != " " && $0 != "-" })
        guard text.count == 11 else { return false }
        if text.allSatisfy(\.isASCIIDigitCharacter) { return true }
        return text[0..<9].allSatisfy(\.isASCIIDigitCharacter) && text[9].isLetter && text[10].isASCIIDigitCharacter
    }

    // MARK: Names (§3.1)

    /// A person's name as documents give it.
    public struct PersonName: Sendable, Hashable, CustomStringConvertible {
        public var first: String
        public var middle: String?
        public var last: String
        /// Other last names used (maiden names, aliases).
        public var otherLast: [String]

        public init(first: String, middle: String? = nil, last: String, otherLast: [String] = []) {
            self.first = first; self.middle = middle; self.last = last; self.otherLast = otherLast
        }

        public var description: String { [first, middle, last].compactMap { $0 }.joined(separator: " ") }
    }

    /// Whether two names plausibly name the same person: case, punctuation, hyphens and spacing are
    /// ignored; a last name may match any of the other's other last names or one part of a hyphenated or
    /// two-word last name; middle names must agree only where both are given, an initial matching a name.
    public static func samePerson(_ a: PersonName, _ b: PersonName) -> Bool {
        func key(_ s: String) -> String { s.uppercased().filter(\.isLetter) }
        func lastForms(_ name: PersonName) -> Set<String> {
            var forms: Set<String> = []
            for last in [name.last] + name.otherLast {
                forms.insert(key(last))
                for part in last.split(whereSeparator: { $0 == "-" || $0 == " " }) where part.count > 1 { forms.insert(key(String(part))) }
            }
            forms.remove("")
            return forms
        }
        guard !lastForms(a).isDisjoint(with: lastForms(b)) else { return false }
        let firstA = key(a.first), firstB = key(b.first)
        guard !firstA.isEmpty, !firstB.isEmpty else { return false }
        guard firstA == firstB || (firstA.count == 1 && firstB.hasPrefix(firstA)) || (firstB.count == 1 && firstA.hasPrefix(firstB)) else { return false }
        if let middleA = a.middle.map(key), let middleB = b.middle.map(key), !middleA.isEmpty, !middleB.isEmpty {
            return middleA.hasPrefix(middleB) || middleB.hasPrefix(middleA)
        }
        return true
    }

    // MARK: Instruction-like text in documents

    private static let instructionPatterns: [NSRegularExpression] = [
        #"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|all|your|the)\b.{0,40}\b(instructions?|rules?|prompts?|directions?)"#,
        #"\b(you are|act as|pretend to be|you must now)\b.{0,40}\b(assistant|ai|model|system|reviewer|approver)"#,
        #"\b(approve|accept|pass|clear)\b.{0,30}\b(this|the)\b.{0,20}\b(applicant|application|candidate|driver|document)\b"#,
        #"\b(mark|set|flag)\b.{0,30}\b(as)\b.{0,10}\b(approved|verified|valid|clean)\b"#,
        #"\bsystem\s*prompt\b|<\s*/?\s*(system|instructions?)\s*>|\[\s*(system|inst)\s*\]"#,
        #"\b(do not|don't)\b.{0,30}\b(flag|report|review|check)\b"#,
    ].map { try! NSRegularExpression(pattern: $0, options: [.caseInsensitive, .dotMatchesLineSeparators]) }

    /// Whether document text reads like instructions to a model or reviewer (prompt injection).
    public static func instructionLike(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..., in: text)
        return instructionPatterns.contains { $0.firstMatch(in: text, range: range) != nil }
    }
}
