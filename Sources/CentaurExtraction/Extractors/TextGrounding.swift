import CentaurCore
import Foundation

/// Whether a value is printed in a document's own text (OCR words or PDF text), tolerant of OCR noise.
///
/// Both sides are reduced to upper-case letters and digits, and the letters OCR confuses with digits are
/// folded together (`O`/`0`, `I`/`L`/`1`, `S`/`5`, `B`/`8`, `Z`/`2`, `G`/`6`). A value of six or more
/// characters may then differ in one character per six (an approximate substring match, linear in the
/// text); a shorter value must appear as a whole word. Dates are looked for as printed on US documents
/// (`mm/dd/yyyy`, `mmddyyyy`) and in ISO form.
public struct TextGrounding: Sendable {
    let folded: [UInt8]
    let words: Set<String>

    public init(text: String) {
        folded = Self.fold(text)
        var words: Set<String> = []
        var current = ""
        for scalar in text.uppercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) { current.unicodeScalars.append(scalar) } else if !current.isEmpty {
                words.insert(String(decoding: Self.fold(current), as: UTF8.self)); current = ""
            }
        }
        if !current.isEmpty { words.insert(String(decoding: Self.fold(current), as: UTF8.self)) }
        self.words = words
    }

    /// Whether the text has anything a person could read: a few words of letters or digits.
    public var isReadable: Bool { words.filter { $0.count >= 2 }.count >= 3 }

    /// Whether the text shows this value (or its raw form as a source gave it).
    public func contains(_ value: JSONValue, raw: String? = nil, kind: DocumentType.FieldKind) -> Bool {
        for (needle, digits) in Self.needles(value, raw: raw, kind: kind) {
            if needle.count < 6 {
                if words.contains(String(decoding: needle, as: UTF8.self)) { return true }
            } else if Self.approximateSubstring(needle, digits: digits, in: folded, errors: kind == .date ? 0 : needle.count / 6) {
                return true
            }
        }
        return false
    }

    /// Where OCR words print this value: the union of the fewest consecutive words (at most eight, on one page)
    /// whose folded text holds one of the value's printed forms, with the same tolerance as ``contains(_:raw:kind:)``
    /// (look-alike letters, never a digit for a digit; dates exactly); nil when none does.
    public static func box(of value: JSONValue, raw: String? = nil, kind: DocumentType.FieldKind, in words: [OCRWord]) -> (page: Int, box: BoundingBox)? {
        let needles = needles(value, raw: raw, kind: kind).filter { !$0.0.isEmpty }
        guard !needles.isEmpty, !words.isEmpty else { return nil }
        let folded = words.map { fold($0.text) }
        func holds(_ range: ClosedRange<Int>, _ needle: ([UInt8], [Bool])) -> Bool {
            let joined = range.flatMap { folded[$0] }
            if needle.0.count < 6 || kind == .date {
                return joined.count >= needle.0.count && (0...(joined.count - needle.0.count)).contains { joined[$0..<($0 + needle.0.count)].elementsEqual(needle.0) }
            }
            return approximateSubstring(needle.0, digits: needle.1, in: joined, errors: needle.0.count / 6)
        }
        for needle in needles {
            for start in words.indices {
                var end = start
                var length = folded[start].count
                while length < needle.0.count, end + 1 < words.count, end - start < 7, words[end + 1].page == words[start].page {
                    end += 1
                    length += folded[end].count
                }
                guard holds(start...end, needle) else { continue }
                var first = start
                while first < end, holds((first + 1)...end, needle) { first += 1 }
                let boxes = words[first...end].map(\.box)
                let left = boxes.map(\.x).min()!, top = boxes.map(\.y).min()!
                let right = boxes.map { $0.x + $0.width }.max()!, bottom = boxes.map { $0.y + $0.height }.max()!
                return (words[start].page, BoundingBox(x: left, y: top, width: right - left, height: bottom - top, unit: boxes[0].unit))
            }
        }
        return nil
    }

    /// The forms a value may be printed in, folded.
    static func needles(_ value: JSONValue, raw: String?, kind: DocumentType.FieldKind) -> [([UInt8], [Bool])] {
        var texts: [String] = []
        switch (kind, value) {
        case (.date, .string(let iso)):
            let parts = iso.split(separator: "-")
            if parts.count == 3 { texts += ["\(parts[1])\(parts[2])\(parts[0])", "\(parts[0])\(parts[1])\(parts[2])"] }
        case (.boolean, _):
            return []
        case (_, .string(let s)): texts.append(s)
        case (_, .number(let n)): texts.append(n == n.rounded() ? String(Int(n)) : String(n))
        default: break
        }
        if let raw, kind != .date { texts.append(raw) }
        return texts.map { text in
            let folded = fold(text)
            let digits = text.uppercased().unicodeScalars.filter { $0.isASCII && CharacterSet.alphanumerics.contains($0) }
                .map { $0.properties.numericType != nil }
            return (folded, digits.count == folded.count ? digits : Array(repeating: false, count: folded.count))
        }.filter { !$0.0.isEmpty }
    }


    /// Sellers' algorithm: does `pattern` occur in `text` with at most `errors` edits? O(text × pattern).
    /// One digit read as another is never an OCR slip worth forgiving (it is another date or number), so
    /// substituting a digit for a digit costs more than any budget; a dropped or extra character costs one.
    /// A digit of the value as given (`digits[i]`) is never skipped either: a number with a digit less is another number.
    static func approximateSubstring(_ pattern: [UInt8], digits: [Bool] = [], in text: [UInt8], errors: Int) -> Bool {
        let m = pattern.count
        guard m > 0 else { return true }
        guard text.count + errors >= m else { return false }
        func skip(_ i: Int) -> Int { i - 1 < digits.count && digits[i - 1] ? errors + 1 : 1 }
        var column = [0]
        for i in 1...m { column.append(column[i - 1] + skip(i)) }
        var next = column
        for byte in text {
            next[0] = 0
            for i in 1...m {
                let a = pattern[i - 1]
                let cost = a == byte ? 0 : (Self.isDigit(a) && Self.isDigit(byte) ? errors + 1 : 1)
                let substitution = column[i - 1] + cost
                next[i] = min(substitution, column[i] + 1, next[i - 1] + skip(i))
            }
            if next[m] <= errors { return true }
            swap(&column, &next)
        }
        return false
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Upper-case ASCII letters and digits, OCR look-alikes folded to one byte.
    static func fold(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.uppercased().unicodeScalars {
            guard scalar.isASCII else {
                if CharacterSet.alphanumerics.contains(scalar) { out.append(UInt8(ascii: "?")) }
                continue
            }
            let b = UInt8(scalar.value)
            switch b {
            case UInt8(ascii: "O"), UInt8(ascii: "Q"), UInt8(ascii: "D"): out.append(UInt8(ascii: "0"))
            case UInt8(ascii: "I"), UInt8(ascii: "L"): out.append(UInt8(ascii: "1"))
            case UInt8(ascii: "S"): out.append(UInt8(ascii: "5"))
            case UInt8(ascii: "B"): out.append(UInt8(ascii: "8"))
            case UInt8(ascii: "Z"): out.append(UInt8(ascii: "2"))
            case UInt8(ascii: "G"): out.append(UInt8(ascii: "6"))
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"): out.append(b)
            default: break
            }
        }
        return out
    }
}
