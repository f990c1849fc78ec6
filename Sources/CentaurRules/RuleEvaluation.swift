import CentaurCore
import CentaurExtraction
import Foundation

/// The types of the rule language.
public indirect enum RuleType: Sendable, Hashable, CustomStringConvertible {
    case bool, number, string, date, name
    case list(RuleType)
    /// Accepts any type (`present(x)`).
    case any

    public var description: String {
        switch self {
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .date: "date"
        case .name: "name"
        case .list(let element): "list of \(element)"
        case .any: "any"
        }
    }

    func accepts(_ other: RuleType) -> Bool {
        if self == .any || other == .any { return true }
        if case .list(let a) = self, case .list(let b) = other { return a.accepts(b) }
        return self == other
    }
}

/// A value during evaluation. `missing` is a field the documents do not give: operators and functions
/// pass it through (Kleene logic for `and`/`or`), so a rule that needs an absent field is "not applicable"
/// rather than fired or passed.
public enum RuleValue: Sendable, Hashable {
    case bool(Bool)
    case number(Double)
    case string(String)
    /// Days since 1970-01-01.
    case date(Int)
    case name(DomainChecks.PersonName)
    case list([RuleValue])
    case missing

    var json: JSONValue {
        switch self {
        case .bool(let b): .bool(b)
        case .number(let n): .number(n)
        case .string(let s): .string(s)
        case .date(let d): .string(RuleCalendar.iso(d))
        case .name(let n): .string(n.description)
        case .list(let items): .array(items.map(\.json))
        case .missing: .null
        }
    }
}

/// Proleptic Gregorian day arithmetic on ISO dates, without Foundation's calendars (fast and time-zone free).
public enum RuleCalendar {
    /// Days since 1970-01-01 of an ISO `yyyy-mm-dd` date.
    public static func day(_ iso: String) -> Int? {
        let parts = iso.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...Normalizer.daysIn(m, y)).contains(d) else { return nil }
        return days(y, m, d)
    }

    static func days(_ year: Int, _ month: Int, _ day: Int) -> Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    public static func iso(_ days: Int) -> String {
        let (y, m, d) = civil(days)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// Whole years from `birth` to `on` (the age on a date).
    static func age(birth: Int, on: Int) -> Int {
        let b = civil(birth), o = civil(on)
        var years = o.year - b.year
        if (o.month, o.day) < (b.month, b.day) { years -= 1 }
        return years
    }

    static func addYears(_ date: Int, _ years: Int) -> Int {
        let c = civil(date)
        let year = c.year + years
        return days(year, c.month, min(c.day, Normalizer.daysIn(c.month, year)))
    }

    /// Monday–Friday days after `from` up to and including `to`.
    static func businessDays(from: Int, to: Int) -> Int {
        guard to > from else { return -businessDays(from: to, to: from) }
        var count = 0
        var day = from + 1
        while day <= to {
            let weekday = ((day % 7) + 7 + 3) % 7 // 0 = Monday (1970-01-01 was a Thursday)
            if weekday < 5 { count += 1 }
            day += 1
        }
        return count
    }
}

/// A function of the rule language: its signature (checked at load time) and its implementation.
struct RuleFunction: Sendable {
    let parameters: [RuleType]
    let result: RuleType
    /// Whether the function receives missing arguments instead of propagating them.
    let acceptsMissing: Bool
    let summary: String
    let body: @Sendable ([RuleValue], RuleContext) -> RuleValue
}

struct RuleContext: Sendable {
    let today: Int
}

enum RuleFunctions {
    static let all: [String: RuleFunction] = [
        "today": .init(parameters: [], result: .date, acceptsMissing: false, summary: "the review date") { _, context in .date(context.today) },
        "date": .init(parameters: [.string], result: .date, acceptsMissing: false, summary: "parses a date (yyyy-mm-dd, mm/dd/yyyy…)") { args, _ in
            guard case .string(let s) = args[0], let iso = Normalizer.isoDate(s), let d = RuleCalendar.day(iso) else { return .missing }
            return .date(d)
        },
        "age_on": .init(parameters: [.date, .date], result: .number, acceptsMissing: false, summary: "whole years from a birth date to a date") { args, _ in
            guard case .date(let birth) = args[0], case .date(let on) = args[1] else { return .missing }
            return .number(Double(RuleCalendar.age(birth: birth, on: on)))
        },
        "days_between": .init(parameters: [.date, .date], result: .number, acceptsMissing: false, summary: "days from the first date to the second") { args, _ in
            guard case .date(let a) = args[0], case .date(let b) = args[1] else { return .missing }
            return .number(Double(b - a))
        },
        "business_days_between": .init(parameters: [.date, .date], result: .number, acceptsMissing: false, summary: "Monday–Friday days after the first date up to the second") { args, _ in
            guard case .date(let a) = args[0], case .date(let b) = args[1] else { return .missing }
            return .number(Double(RuleCalendar.businessDays(from: a, to: b)))
        },
        "add_years": .init(parameters: [.date, .number], result: .date, acceptsMissing: false, summary: "the date so many years later") { args, _ in
            guard case .date(let a) = args[0], case .number(let n) = args[1] else { return .missing }
            return .date(RuleCalendar.addYears(a, Int(n)))
        },
        "add_days": .init(parameters: [.date, .number], result: .date, acceptsMissing: false, summary: "the date so many days later") { args, _ in
            guard case .date(let a) = args[0], case .number(let n) = args[1] else { return .missing }
            return .date(a + Int(n))
        },
        "matches_license_format": .init(
            parameters: [.string, .string], result: .bool, acceptsMissing: false,
            summary: "whether a licence number fits its state's format (true where no format is known)"
        ) { args, _ in
            guard case .string(let number) = args[0], case .string(let state) = args[1] else { return .missing }
            return .bool(DomainChecks.matchesLicenseFormat(number, jurisdiction: state) ?? true)
        },
        "ssn_valid": .init(parameters: [.string], result: .bool, acceptsMissing: false, summary: "whether an SSN passes every SSA rule") { args, _ in
            guard case .string(let s) = args[0] else { return .missing }
            return .bool(DomainChecks.ssnProblem(s) == nil)
        },
        "ssn_problem": .init(
            parameters: [.string], result: .string, acceptsMissing: false,
            summary: "the first SSN problem: \"\", format, invalid_area, invalid_group_or_serial, known_invalid"
        ) { args, _ in
            guard case .string(let s) = args[0] else { return .missing }
            return .string(DomainChecks.ssnProblem(s)?.rawValue ?? "")
        },
        "a_number_valid": .init(parameters: [.string], result: .bool, acceptsMissing: false, summary: "A-Number / USCIS Number: 7–9 digits, optional A prefix") { args, _ in
            guard case .string(let s) = args[0] else { return .missing }
            return .bool(DomainChecks.aNumberValid(s))
        },
        "i94_valid": .init(parameters: [.string], result: .bool, acceptsMissing: false, summary: "I-94 admission number: 11 digits or 9 digits + letter + digit") { args, _ in
            guard case .string(let s) = args[0] else { return .missing }
            return .bool(DomainChecks.i94Valid(s))
        },
        "same_person": .init(
            parameters: [.name, .name], result: .bool, acceptsMissing: false,
            summary: "whether two names name the same person (case, hyphens, other last names, middle initials)"
        ) { args, _ in
            guard case .name(let a) = args[0], case .name(let b) = args[1] else { return .missing }
            return .bool(DomainChecks.samePerson(a, b))
        },
        "iin_jurisdiction": .init(parameters: [.string], result: .string, acceptsMissing: false, summary: "the jurisdiction of an AAMVA issuer number") { args, _ in
            guard case .string(let iin) = args[0], let jurisdiction = IssuerTable.jurisdiction(iin: iin) else { return .missing }
            return .string(jurisdiction)
        },
        "instruction_like": .init(parameters: [.string], result: .bool, acceptsMissing: false, summary: "whether text reads like instructions to a model or reviewer") { args, _ in
            guard case .string(let s) = args[0] else { return .missing }
            return .bool(DomainChecks.instructionLike(s))
        },
        "contains": .init(parameters: [.string, .string], result: .bool, acceptsMissing: false, summary: "case-insensitive substring test") { args, _ in
            guard case .string(let s) = args[0], case .string(let part) = args[1] else { return .missing }
            return .bool(s.uppercased().contains(part.uppercased()))
        },
        "upper": .init(parameters: [.string], result: .string, acceptsMissing: false, summary: "upper-cased text") { args, _ in
            guard case .string(let s) = args[0] else { return .missing }
            return .string(s.uppercased())
        },
        "digits": .init(parameters: [.string], result: .string, acceptsMissing: false, summary: "only the digits of a text") { args, _ in
            guard case .string(let s) = args[0] else { return .missing }
            return .string(s.filter(\.isASCIIDigitCharacter))
        },
        "length": .init(parameters: [.string], result: .number, acceptsMissing: false, summary: "number of characters") { args, _ in
            guard case .string(let s) = args[0] else { return .missing }
            return .number(Double(s.count))
        },
        "abs": .init(parameters: [.number], result: .number, acceptsMissing: false, summary: "absolute value") { args, _ in
            guard case .number(let n) = args[0] else { return .missing }
            return .number(abs(n))
        },
        "periods_per_year": .init(parameters: [.string], result: .number, acceptsMissing: false, summary: "WEEKLY 52, BIWEEKLY 26, SEMIMONTHLY 24, MONTHLY 12") { args, _ in
            guard case .string(let s) = args[0] else { return .missing }
            switch s.uppercased() {
            case "WEEKLY": return .number(52)
            case "BIWEEKLY": return .number(26)
            case "SEMIMONTHLY": return .number(24)
            case "MONTHLY": return .number(12)
            default: return .missing
            }
        },
        "day_of_year": .init(parameters: [.date], result: .number, acceptsMissing: false, summary: "1 for January 1st") { args, _ in
            guard case .date(let d) = args[0] else { return .missing }
            let c = RuleCalendar.civil(d)
            return .number(Double(d - RuleCalendar.days(c.year, 1, 1) + 1))
        },
        "present": .init(parameters: [.any], result: .bool, acceptsMissing: true, summary: "whether a field has a value") { args, _ in
            .bool(args[0] != .missing)
        },
        "missing": .init(parameters: [.any], result: .bool, acceptsMissing: true, summary: "whether a field has no value") { args, _ in
            .bool(args[0] == .missing)
        },
    ]
}
