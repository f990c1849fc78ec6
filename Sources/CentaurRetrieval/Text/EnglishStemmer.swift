/// The Snowball English stemmer ("Porter2", snowballstem.org/algorithms/english/stemmer.html), written from its
/// published description with the revisions of Snowball 2 and 3 (more R1 prefixes such as `univers` and `organ`, `-ogist`
/// → `-og`, no undoubling after a lone a, e or o): lower-case words in, stems out ("running" → "run", "generously" →
/// "generous"). Only a, e, i, o, u and y are vowels; every other character, digits and other scripts included, is a
/// consonant, as in Snowball ("14days" → "14day"). Checked word for word against PyStemmer 3.1 on SciFact's 36,116 words.
public struct EnglishStemmer: Sendable {
    public init() {}

    /// Words whose stem is fixed (the algorithm's exceptional forms).
    private static let exceptions: [String: String] = [
        "skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie", "idly": "idl", "gently": "gentl",
        "ugly": "ugli", "early": "earli", "only": "onli", "singly": "singl", "sky": "sky", "news": "news", "howe": "howe",
        "atlas": "atlas", "cosmos": "cosmos", "bias": "bias", "andes": "andes",
    ]

    public func stem(_ word: String) -> String {
        guard word.unicodeScalars.count > 2 else { return word }
        if let fixed = Self.exceptions[word] { return fixed }
        var w = Word(word)
        return w.run()
    }
}

/// The word being stemmed, as Unicode scalar values; `Y` (89) marks a consonant y.
private struct Word {
    var b: [UInt32]
    var r1 = 0
    var r2 = 0

    init(_ word: String) { b = word.unicodeScalars.map(\.value) }

    static let Y: UInt32 = 89
    static func isVowel(_ c: UInt32) -> Bool { c == 97 || c == 101 || c == 105 || c == 111 || c == 117 || c == 121 }
    func vowel(_ i: Int) -> Bool { Self.isVowel(b[i]) }

    func ends(_ s: String) -> Bool {
        let u = s.utf8
        guard b.count >= u.count else { return false }
        return zip(b[(b.count - u.count)...], u).allSatisfy { $0 == UInt32($1) }
    }
    mutating func replace(_ suffix: String, with replacement: String) {
        b.removeLast(suffix.utf8.count)
        b.append(contentsOf: replacement.utf8.map(UInt32.init))
    }
    var text: String { String(String.UnicodeScalarView(b.compactMap(Unicode.Scalar.init))) }
    /// Where `suffix` starts (it must end the word).
    func start(of suffix: String) -> Int { b.count - suffix.utf8.count }
    /// The longest of `suffixes` the word ends with.
    func longest(_ suffixes: [String]) -> String? {
        suffixes.filter(ends).max { $0.utf8.count < $1.utf8.count }
    }
    func hasVowel(before end: Int) -> Bool { (0..<max(0, end)).contains { vowel($0) } }

    /// A short syllable ending at `i` (its last letter): non-vowel, vowel, non-vowel other than w, x, Y; or, at the
    /// start of the word, vowel then non-vowel.
    func shortSyllable(endingAt i: Int) -> Bool {
        if i == 1 { return vowel(0) && !vowel(1) }
        guard i >= 2 else { return false }
        let last = b[i]
        return !vowel(i - 2) && vowel(i - 1) && !vowel(i) && last != 119 && last != 120 && last != Self.Y
    }
    var isShort: Bool { r1 >= b.count && shortSyllable(endingAt: b.count - 1) }

    mutating func markConsonantY() {
        if b.first == 121 { b[0] = Self.Y }
        for i in 1..<b.count where b[i] == 121 && Self.isVowel(b[i - 1]) { b[i] = Self.Y }
    }

    mutating func regions() {
        func after(_ from: Int) -> Int {
            var i = from
            while i < b.count - 1 {
                if vowel(i) && !vowel(i + 1) { return i + 2 }
                i += 1
            }
            return b.count
        }
        let text = self.text
        if let prefix = ["gener", "commun", "arsen", "past", "univers", "later", "emerg", "organ", "inter"].first(where: { text.hasPrefix($0) }) {
            r1 = prefix.utf8.count
        } else {
            r1 = after(0)
        }
        r2 = min(b.count, max(r1, after(r1)))
        if r2 < r1 { r2 = r1 }
    }

    mutating func run() -> String {
        if b.first == 39 { b.removeFirst() }
        guard b.count > 2 else { return text }
        markConsonantY()
        regions()
        step0()
        step1a()
        if Self.afterStep1aWords.contains(text) { return text }
        step1b()
        step1c()
        step2()
        step3()
        step4()
        step5()
        b = b.map { $0 == Self.Y ? 121 : $0 }
        return text
    }

    /// Left alone after step 1a.
    static let afterStep1aWords: Set<String> = ["inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed",
                                               "evening"]

    mutating func step0() {
        if let s = longest(["'s'", "'s", "'"]) { b.removeLast(s.utf8.count) }
    }

    mutating func step1a() {
        if ends("sses") {
            replace("sses", with: "ss")
        } else if ends("ied") || ends("ies") {
            replace(ends("ied") ? "ied" : "ies", with: b.count > 4 ? "i" : "ie")
        } else if ends("us") || ends("ss") {
            return
        } else if ends("s") {
            // Delete when the part before holds a vowel that is not the letter just before the s.
            if b.count >= 2, hasVowel(before: b.count - 2) { b.removeLast() }
        }
    }

    mutating func step1b() {
        if let s = longest(["eed", "eedly"]) {
            if start(of: s) >= r1 { replace(s, with: "ee") }
            return
        }
        guard let s = longest(["ed", "edly", "ing", "ingly"]), hasVowel(before: start(of: s)) else { return }
        b.removeLast(s.utf8.count)
        if ends("at") || ends("bl") || ends("iz") {
            b.append(101)
        } else if let last = b.last, b.count >= 2, last == b[b.count - 2], [98, 100, 102, 103, 109, 110, 112, 114, 116].contains(last) {
            // A double is undoubled ("hopp" → "hop") unless all that precedes it is a lone a, e or o ("add", "egg", "odd").
            if !(b.count == 3 && [97, 101, 111].contains(b[0])) { b.removeLast() }
        } else if isShort {
            b.append(101)
        }
    }

    mutating func step1c() {
        guard b.count > 2, let last = b.last, last == 121 || last == Self.Y, !vowel(b.count - 2) else { return }
        b[b.count - 1] = 105
    }

    mutating func step2() {
        let rules: [(String, String)] = [
            ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("abli", "able"), ("entli", "ent"),
            ("izer", "ize"), ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("aliti", "al"), ("alli", "al"),
            ("fulness", "ful"), ("ousli", "ous"), ("ousness", "ous"), ("iveness", "ive"), ("iviti", "ive"), ("biliti", "ble"),
            ("bli", "ble"), ("ogi", "og"), ("ogist", "og"), ("fulli", "ful"), ("lessli", "less"), ("li", ""),
        ]
        guard let s = longest(rules.map(\.0)) else { return }
        guard start(of: s) >= r1 else { return }
        if s == "ogi" {
            guard start(of: s) >= 1, b[start(of: s) - 1] == 108 else { return }
        }
        if s == "li" {
            guard start(of: s) >= 1, [99, 100, 101, 103, 104, 107, 109, 110, 114, 116].contains(b[start(of: s) - 1]) else { return }
        }
        replace(s, with: rules.first { $0.0 == s }!.1)
    }

    mutating func step3() {
        let rules: [(String, String)] = [
            ("tional", "tion"), ("ational", "ate"), ("alize", "al"), ("icate", "ic"), ("iciti", "ic"), ("ical", "ic"),
            ("ful", ""), ("ness", ""), ("ative", ""),
        ]
        guard let s = longest(rules.map(\.0)), start(of: s) >= r1 else { return }
        if s == "ative" { guard start(of: s) >= r2 else { return } }
        replace(s, with: rules.first { $0.0 == s }!.1)
    }

    mutating func step4() {
        let suffixes = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism", "ate", "iti", "ous",
                        "ive", "ize", "ion"]
        guard let s = longest(suffixes), start(of: s) >= r2 else { return }
        if s == "ion" {
            guard start(of: s) >= 1, b[start(of: s) - 1] == 115 || b[start(of: s) - 1] == 116 else { return }
        }
        b.removeLast(s.utf8.count)
    }

    mutating func step5() {
        guard let last = b.last else { return }
        let at = b.count - 1
        if last == 101 {
            if at >= r2 || (at >= r1 && !shortSyllable(endingAt: at - 1)) { b.removeLast() }
        } else if last == 108, at >= r2, at >= 1, b[at - 1] == 108 {
            b.removeLast()
        }
    }
}
