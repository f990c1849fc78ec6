import CentaurCore
import Foundation

/// Recognisers for structured identifiers: checksums and validity rules first, context words to confirm
/// the ones that are only digits.
enum PatternRecognizers {
    static func hasAny(_ context: [String], _ words: Set<String>) -> Bool { context.contains { words.contains($0) } }

    static let phoneContext: Set<String> = ["phone", "call", "tel", "telephone", "mobile", "cell", "fax", "reach", "contact", "number",
                                             "registered", "answering", "messages", "office", "whatsapp", "text", "dial", "home", "work"]
    static let cardContext: Set<String> = ["card", "credit", "debit", "visa", "mastercard", "amex", "cc", "maestro", "discover", "jcb"]
    static let ssnContext: Set<String> = ["ssn", "social", "security", "ss"]
    static let licenseContext: Set<String> = ["driver", "driver's", "drivers", "license", "licence", "dl", "lic"]
    static let passportContext: Set<String> = ["passport"]
    static let bankContext: Set<String> = ["account", "acct", "bank", "checking", "savings"]
    static let routingContext: Set<String> = ["routing", "aba", "rtn", "transit"]
    static let aNumberContext: Set<String> = ["uscis", "alien", "a-number", "anumber", "registration"]
    static let i94Context: Set<String> = ["i-94", "i94", "admission", "arrival", "departure"]
    static let itinContext: Set<String> = ["itin", "taxpayer"]
    static let birthContext: Set<String> = ["born", "birth", "dob", "birthday", "b"]

    // MARK: E-mail

    static func emails(_ t: ScannedText, into out: inout [PIIFinding]) {
        let s = t.scalars
        func local(_ c: Unicode.Scalar) -> Bool { c.isASCII && (ScannedText.isLetter(c) || ScannedText.isDigit(c) || "._%+-".unicodeScalars.contains(c)) }
        func domain(_ c: Unicode.Scalar) -> Bool { ScannedText.isLetter(c) || ScannedText.isDigit(c) || c == "." || c == "-" }
        for at in s.indices where s[at] == "@" {
            var a = at
            while a > 0, local(s[a - 1]) { a -= 1 }
            var b = at + 1
            while b < s.count, domain(s[b]) { b += 1 }
            while b > at + 1, s[b - 1] == "." || s[b - 1] == "-" { b -= 1 }
            while a < at, s[a] == "." { a += 1 }
            guard a < at, b > at + 1 else { continue }
            let host = t.text(at + 1, b)
            let labels = host.split(separator: ".")
            guard labels.count >= 2, let tld = labels.last, tld.count >= 2, tld.allSatisfy(\.isLetter) else { continue }
            out.append(PIIFinding(type: .emailAddress, start: a, end: b, score: 1.0, text: t.text(a, b)))
        }
    }

    // MARK: IP addresses

    static func ipAddresses(_ t: ScannedText, into out: inout [PIIFinding]) {
        let s = t.scalars
        var i = 0
        func hex(_ c: Unicode.Scalar) -> Bool { ScannedText.isDigit(c) || ("a"..."f").contains(c) || ("A"..."F").contains(c) }
        while i < s.count {
            guard hex(s[i]) || s[i] == ":", i == 0 || !(ScannedText.isLetter(s[i - 1]) || ScannedText.isDigit(s[i - 1]) || s[i - 1] == "." || s[i - 1] == ":") else { i += 1; continue }
            var j = i
            while j < s.count, hex(s[j]) || s[j] == "." || s[j] == ":" { j += 1 }
            var end = j
            while end > i, s[end - 1] == "." || s[end - 1] == ":" && !(end - 2 >= i && s[end - 2] == ":") { end -= 1 }
            let candidate = t.text(i, end)
            if end < s.count, ScannedText.isLetter(s[end]) { i = j; continue }
            if isIPv4(candidate) || isIPv6(candidate) {
                out.append(PIIFinding(type: .ipAddress, start: i, end: end, score: isIPv4(candidate) ? 0.95 : 0.9, text: candidate))
            }
            i = max(j, i + 1)
        }
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = Int(part), value <= 255 else { return false }
            return part.count == 1 || part.first != "0"
        }
    }

    static func isIPv6(_ text: String) -> Bool {
        guard text.unicodeScalars.count >= 6, text.unicodeScalars.lazy.filter({ $0 == ":" }).count >= 2 else { return false }
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1 && text.contains { $0.isNumber || ("a"..."f").contains($0.lowercased()) }
    }

    // MARK: IBAN

    static func ibans(_ t: ScannedText, into out: inout [PIIFinding]) {
        let s = t.scalars
        func alnum(_ c: Unicode.Scalar) -> Bool { c.isASCII && (ScannedText.isLetter(c) || ScannedText.isDigit(c)) }
        var i = 0
        while i + 4 <= s.count {
            let startsWord = i == 0 || !alnum(s[i - 1])
            guard startsWord, s[i].isASCII, ScannedText.isLetter(s[i]), ScannedText.isLetter(s[i + 1]),
                  ScannedText.isDigit(s[i + 2]), ScannedText.isDigit(s[i + 3]) else { i += 1; continue }
            // Up to 34 characters, in groups separated by single spaces.
            var chars: [Unicode.Scalar] = []
            var ends: [Int] = []
            var j = i
            while j < s.count, chars.count < 34 {
                if alnum(s[j]) { chars.append(s[j]); j += 1; ends.append(j); continue }
                if s[j] == " ", j + 1 < s.count, alnum(s[j + 1]), chars.count % 4 == 0 { j += 1; continue }
                break
            }
            var found = false
            for length in stride(from: chars.count, through: 15, by: -1) where Self.ibanValid(Array(chars[0..<length])) {
                let end = ends[length - 1]
                if end < s.count, alnum(s[end]) { continue }
                out.append(PIIFinding(type: .ibanCode, start: i, end: end, score: 1.0, text: t.text(i, end)))
                i = end
                found = true
                break
            }
            if !found { i += 1 }
        }
    }

    static func ibanValid(_ chars: [Unicode.Scalar]) -> Bool {
        guard chars.count >= 15 else { return false }
        let rearranged = chars[4...] + chars[..<4]
        var remainder = 0
        for c in rearranged {
            let upper = Character(c).uppercased().unicodeScalars.first!
            if ScannedText.isDigit(upper) {
                remainder = (remainder * 10 + Int(upper.value - 48)) % 97
            } else if ("A"..."Z").contains(upper) {
                let value = Int(upper.value - 55)
                remainder = (remainder * 100 + value) % 97
            } else {
                return false
            }
        }
        return remainder == 1
    }

    // MARK: Numbers: cards, SSNs, phones and context-bound identifiers

    struct NumberRun {
        var start: Int
        var end: Int
        var groups: [String]
        var separators: [String]
        var plus: Bool
        var digits: String { groups.joined() }
    }

    /// Runs of digit groups joined by single separators (space, -, ., /, parentheses), as phone numbers and cards are written.
    static func numberRuns(_ t: ScannedText) -> [NumberRun] {
        let s = t.scalars
        var runs: [NumberRun] = []
        var i = 0
        func digit(_ k: Int) -> Bool { k < s.count && ScannedText.isDigit(s[k]) }
        while i < s.count {
            let boundary = i == 0 || !(ScannedText.isLetter(s[i - 1]) || ScannedText.isDigit(s[i - 1]))
            let opens = digit(i) || (s[i] == "+" && digit(i + 1)) || (s[i] == "(" && digit(i + 1))
            guard boundary, opens else { i += 1; continue }
            var run = NumberRun(start: i, end: i, groups: [], separators: [], plus: s[i] == "+")
            var j = s[i] == "+" ? i + 1 : i
            var separator = ""
            while j < s.count {
                if digit(j) {
                    var k = j
                    while digit(k) { k += 1 }
                    run.groups.append(t.text(j, k))
                    if run.groups.count > 1 { run.separators.append(separator) }
                    run.end = k
                    j = k
                    separator = ""
                    // A separator of up to two characters ("-", " ", ") ", ".") followed by a digit or "(digit".
                    var m = j
                    while m < s.count, m - j < 2, [" ", "-", ".", "/", "(", ")", "\u{2013}"].contains(s[m]) { separator.append(Character(s[m])); m += 1 }
                    if m > j, digit(m), !separator.unicodeScalars.contains("\n") { j = m; continue }
                    if m > j, m < s.count, s[m] == "(", digit(m + 1) { separator.append("("); j = m + 1; continue }
                    break
                } else if s[j] == "(" {
                    separator.append("(")
                    j += 1
                } else {
                    break
                }
            }
            if run.end < s.count, ScannedText.isLetter(s[run.end]) { i = max(run.end, i + 1); continue }
            if s[i] == "(" { run.start = i }
            if run.end < s.count, s[run.end] == ")", run.start < run.end, s[run.start] == "(" { run.end += 1 }
            if !run.groups.isEmpty { runs.append(run) }
            i = max(run.end, i + 1)
        }
        return runs
    }

    static func luhn(_ digits: String) -> Bool {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            guard var value = character.wholeNumberValue else { return false }
            if index % 2 == 1 { value *= 2; if value > 9 { value -= 9 } }
            sum += value
        }
        return sum % 10 == 0
    }

    /// SSA rules: area not 000, 666 or 900–999; group not 00; serial not 0000.
    static func ssnValid(_ d: String) -> Bool {
        guard d.count == 9, let area = Int(d.prefix(3)), let group = Int(d.dropFirst(3).prefix(2)), let serial = Int(d.suffix(4)) else { return false }
        if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 { return false }
        return !["123456789", "078051120", "219099999"].contains(d)
    }

    /// ITINs: 9XX-7X-XXXX / 9XX-8X-XXXX (groups 50–65, 70–88, 90–92, 94–99).
    static func itinValid(_ d: String) -> Bool {
        guard d.count == 9, d.first == "9", let group = Int(d.dropFirst(3).prefix(2)) else { return false }
        return (50...65).contains(group) || (70...88).contains(group) || (90...92).contains(group) || (94...99).contains(group)
    }

    static func abaValid(_ d: String) -> Bool {
        guard d.count == 9 else { return false }
        let v = d.compactMap(\.wholeNumberValue)
        let sum = 3 * (v[0] + v[3] + v[6]) + 7 * (v[1] + v[4] + v[7]) + (v[2] + v[5] + v[8])
        return sum % 10 == 0 && sum > 0
    }

    static func looksLikeDate(_ run: NumberRun) -> Bool {
        let g = run.groups
        guard g.count == 3, Set(run.separators).count == 1, let sep = run.separators.first, ["/", "-", "."].contains(sep) else { return false }
        let lengths = g.map(\.count)
        guard lengths == [2, 2, 4] || lengths == [4, 2, 2] || lengths == [1, 1, 4] || lengths == [1, 2, 4] || lengths == [2, 1, 4] || lengths == [2, 2, 2]
        else { return false }
        let numbers = g.compactMap { Int($0) }
        if lengths[0] == 4 { return (1...12).contains(numbers[1]) && (1...31).contains(numbers[2]) }
        return (1...31).contains(numbers[0]) && (1...31).contains(numbers[1]) && (numbers[0] <= 12 || numbers[1] <= 12)
    }

    static func numbers(_ t: ScannedText, into out: inout [PIIFinding]) {
        for run in numberRuns(t) {
            let digits = run.digits
            let n = digits.count
            let context = t.context(around: run.start, run.end, window: 6)
            let before = t.context(around: run.start, run.end, window: 6, after: false)
            let text = t.text(run.start, run.end)
            func add(_ type: PIIType, _ score: Double) {
                out.append(PIIFinding(type: type, start: run.start, end: run.end, score: min(1, score), text: text))
            }
            if looksLikeDate(run) {
                add(.dateTime, hasAny(before, birthContext) ? 0.9 : 0.6)
                continue
            }
            let dashed324 = run.groups.map(\.count) == [3, 2, 4] && Set(run.separators).count == 1 && ["-", " ", "."].contains(run.separators[0])
            if hasAny(before, licenseContext), !USDriverLicenseFormats.jurisdictions(matching: digits).isEmpty {
                add(.usDriverLicense, n >= 6 ? 0.8 : 0.6)
                continue
            }
            if n >= 12, n <= 19, luhn(digits), !run.plus, run.groups.allSatisfy({ $0.count >= 4 }) || run.groups.count == 1 {
                if n >= 13 || hasAny(context, cardContext) {
                    add(.creditCard, hasAny(context, cardContext) ? 1.0 : 0.8)
                    continue
                }
            }
            if n == 9 {
                if (dashed324 || run.groups.count == 1) && itinValid(digits) && (dashed324 || hasAny(context, itinContext)) {
                    add(.usITIN, hasAny(context, itinContext) ? 0.95 : 0.6)
                    continue
                }
                // Redaction errs towards redacting: an SSN-shaped number is one whether or not it could be issued
                // (078-05-1120, 000-…, 9xx-…). Validity only raises the score.
                if dashed324 {
                    let valid = ssnValid(digits)
                    add(.usSSN, hasAny(context, ssnContext) ? (valid ? 1.0 : 0.9) : (valid ? 0.7 : 0.6))
                    continue
                }
                if run.groups.count == 1 {
                    if hasAny(before, ssnContext) { add(.usSSN, ssnValid(digits) ? 0.9 : 0.8); continue }
                    if hasAny(before, routingContext), abaValid(digits) { add(.abaRoutingNumber, 0.9); continue }
                    if hasAny(before, passportContext) { add(.usPassport, 0.85); continue }
                    if hasAny(before, aNumberContext) { add(.uscisANumber, 0.8); continue }
                }
            }
            if n == 11, run.groups.count == 1, hasAny(before, i94Context) { add(.i94Number, 0.85); continue }
            if n >= 8, n <= 17, run.groups.count == 1, hasAny(before, bankContext), !hasAny(before, phoneContext) {
                add(.usBankNumber, 0.8)
                continue
            }
            // Phone numbers: NANP, E.164 and the grouped national formats.
            guard n >= 7, n <= 15, !dashed324 || run.plus else { continue }
            let phoneWords = hasAny(context, phoneContext)
            var score = 0.0
            if run.plus { score = 0.75 }
            else if run.groups.count >= 2 { score = run.groups.count >= 3 ? 0.6 : 0.45 }
            else if n == 10 || (n == 11 && digits.first == "1") { score = 0.4 }
            if score == 0 { continue }
            if phoneWords { score += 0.35 }
            add(.phoneNumber, score)
        }
    }

    // MARK: Identifiers with letters: licences, passports, A-numbers

    static func alphanumericIDs(_ t: ScannedText, into out: inout [PIIFinding]) {
        for (index, token) in t.tokens.enumerated() where token.kind == .alphanumeric || token.kind == .number {
            let before = t.context(around: token.start, token.end, window: 6, after: false)
            let upper = token.text.uppercased()
            let letters = upper.filter(\.isLetter).count
            let digits = upper.filter(\.isNumber).count
            if token.kind == .alphanumeric, hasAny(before, licenseContext), digits >= 4, letters <= 3,
               !USDriverLicenseFormats.jurisdictions(matching: upper).isEmpty {
                out.append(PIIFinding(type: .usDriverLicense, start: token.start, end: token.end, score: 0.85, text: token.text))
            } else if token.kind == .alphanumeric, hasAny(before, passportContext), upper.count == 9, letters == 1, upper.first!.isLetter {
                out.append(PIIFinding(type: .usPassport, start: token.start, end: token.end, score: 0.85, text: token.text))
            } else if upper.first == "A", letters == 1, digits == 8 || digits == 9, token.kind == .alphanumeric {
                out.append(PIIFinding(type: .uscisANumber, start: token.start, end: token.end, score: hasAny(before, aNumberContext) ? 0.95 : 0.55, text: token.text))
            } else if token.text == "A", index + 2 < t.tokens.count, t.tokens[index + 1].text == "-", t.tokens[index + 2].kind == .number,
                      [8, 9].contains(t.tokens[index + 2].text.count) {
                let end = t.tokens[index + 2].end
                out.append(PIIFinding(type: .uscisANumber, start: token.start, end: end, score: 0.85, text: t.text(token.start, end)))
            }
        }
    }
}
