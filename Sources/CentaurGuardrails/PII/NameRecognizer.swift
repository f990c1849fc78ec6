import Foundation

/// People, places and street addresses from capitalisation, word lists and context words, without a
/// statistical model: a capitalised word that is no ordinary English word, a known first name or surname,
/// or a word after "my name is", "Mr.", "says", … is a name; a known place, or a capitalised word after "in",
/// "from", "to", is a place; a building number with street words (or a street word and a number) is an address.
struct NameRecognizer {
    let lexicon: PIILexicon

    static let titles: Set<String> = ["mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx", "mister", "dame", "lord", "lady"]
    static let personBefore: Set<String> = ["name", "called", "named", "i'm", "im", "says", "said", "dear", "hi", "hello", "hey", "by",
                                            "with", "thanks", "thank", "contact", "ask", "tell", "meet", "met", "from", "cc", "signed",
                                            "regards", "starring", "married", "son", "daughter", "wife", "husband", "mother", "father",
                                            "brother", "sister", "friend", "kid", "boss", "colleague", "manager", "player", "artist",
                                            "author", "director", "actor", "actress", "singer", "founder", "ceo", "patient", "doctor"]
    static let personAfter: Set<String> = ["says", "said", "is", "was", "has", "had", "and", "who", "will", "would", "can", "asked",
                                           "told", "wrote", "lives", "moved", "flew", "arrived", "gave", "called"]
    static let placeBefore: Set<String> = ["in", "to", "from", "at", "near", "visit", "visited", "visiting", "live", "lives", "lived",
                                           "city", "town", "village", "country", "moved", "flew", "travelling", "traveling", "born",
                                           "arrived", "located", "based", "headquartered", "of"]
    static let particles: Set<String> = ["van", "von", "de", "da", "del", "della", "di", "der", "den", "du", "la", "le", "bin", "al",
                                         "el", "ter", "ten", "dos", "das", "y", "st"]
    static let organisationWords: Set<String> = ["inc", "ltd", "llc", "corp", "corporation", "company", "co", "group", "plc", "gmbh",
                                                 "ag", "sa", "bank", "university", "college", "school", "hospital", "foundation",
                                                 "association", "society", "club", "services", "systems", "solutions", "partners",
                                                 "associates", "holdings", "airlines", "technologies", "labs", "studio", "studios",
                                                 "orchestra", "band", "records", "press", "media", "network", "institute", "agency",
                                                 "department", "ministry", "council", "committee", "church", "team", "fc"]
    static let streetWords: Set<String> = [
        "street", "st", "avenue", "ave", "road", "rd", "lane", "ln", "drive", "dr", "court", "ct", "way", "boulevard", "blvd",
        "place", "pl", "square", "sq", "terrace", "crescent", "close", "parkway", "pkwy", "highway", "hwy", "circle", "cir",
        "trail", "row", "alley", "path", "plaza", "points", "point", "green", "gardens", "grove", "hill", "hills", "park", "view",
        "walk", "mews", "rise", "loop", "pike", "run", "crossing", "estates", "heights", "ridge", "route", "rte",
        "rue", "via", "viale", "calle", "avda", "avenida", "rua", "strasse", "straße", "str", "weg", "gasse", "platz", "allee",
        "ul", "ulica", "utca", "út", "tér", "laan", "straat", "plein", "gracht", "gade", "vej", "vägen", "gatan", "gata", "vei",
        "veien", "gate", "kuja", "katu", "tie", "polku", "tee", "iela", "gatve", "prospekt", "ulitsa", "náměstí", "ulice",
        "trg", "cesta", "sokak", "cadde", "caddesi", "postbox", "box", "psc", "unit", "usns", "usnv", "usnS", "usns", "λ", "οδός",
    ]
    static let streetSuffixes = ["strasse", "straße", "gasse", "weg", "platz", "allee", "laan", "straat", "gracht", "plein", "gade",
                                 "vej", "vägen", "gatan", "gata", "veien", "vegen", "kuja", "katu", "tie", "polku", "väylä", "gränd",
                                 "stræde", "torget", "torg", "ring", "dreef", "kade", "singel", "steeg", "pad", "gatve", "iela",
                                 "utca", "út", "utcája", "vænget", "skálinn", "gerði", "stígur", "braut", "vegur"]
    static let unitWords: Set<String> = ["apt", "apartment", "suite", "ste", "unit", "floor", "fl", "flat", "room", "box"]

    /// The word without a possessive ending ("matej's" → "matej").
    static func base(_ lower: String) -> String {
        for suffix in ["'s", "\u{2019}s"] where lower.hasSuffix(suffix) && lower.count > suffix.count + 1 { return String(lower.dropLast(2)) }
        return lower
    }
    func isOrdinary(_ lower: String) -> Bool {
        if lexicon.englishWords.contains(lower) { return true }
        let base = Self.base(lower)
        if base != lower { return lexicon.englishWords.contains(base) }
        // Contractions ("I'm", "don't") are ordinary.
        if let apostrophe = lower.firstIndex(where: { $0 == "'" || $0 == "\u{2019}" }) {
            let head = String(lower[..<apostrophe])
            return head == "i" || lexicon.englishWords.contains(head)
        }
        return false
    }
    func isFirstName(_ lower: String) -> Bool { lexicon.firstNames.contains(Self.base(lower)) }
    func isSurname(_ lower: String) -> Bool { lexicon.surnames.contains(Self.base(lower)) }
    func isName(_ lower: String) -> Bool { isFirstName(lower) || isSurname(lower) }

    func recognize(_ t: ScannedText, taken: [PIIFinding], into out: inout [PIIFinding]) {
        var covered = [Bool](repeating: false, count: t.scalars.count + 1)
        for finding in taken { for i in finding.start..<finding.end { covered[i] = true } }
        let tokens = t.tokens
        var used = [Bool](repeating: false, count: tokens.count)
        for (i, token) in tokens.enumerated() where covered[token.start] { used[i] = true }

        addresses(t, &used, into: &out)
        places(t, &used, into: &out)
        people(t, &used, into: &out)
        lowercasePeople(t, &used, into: &out)
    }

    // MARK: Street addresses

    func isStreetWord(_ token: ScannedText.Token) -> Bool {
        let lower = token.lower
        if Self.streetWords.contains(lower) { return true }
        return token.kind == .word && lower.count > 5 && Self.streetSuffixes.contains { lower.hasSuffix($0) }
    }

    static let militaryPost: Set<String> = ["apo", "fpo", "dpo"]
    static let militaryState: Set<String> = ["aa", "ae", "ap"]
    static let ships: Set<String> = ["uss", "usns", "usnv", "uscgc"]

    /// US military addresses: "Unit 1293 Box 4311\nDPO AE 01708", "PSC 2721, Box 8637\nAPO AA 06259", "USNS Vincent\nFPO AA 68422".
    func militaryAddresses(_ t: ScannedText, _ used: inout [Bool], into out: inout [PIIFinding]) {
        let tokens = t.tokens
        for i in tokens.indices where i + 2 < tokens.count && !used[i] && Self.militaryPost.contains(tokens[i].lower)
            && Self.militaryState.contains(tokens[i + 1].lower) && tokens[i + 2].kind == .number && tokens[i + 2].text.count == 5 {
            var first = i
            // The line before: "Unit N Box N", "PSC N, Box N" or a ship's name.
            if i > 0, tokens[i - 1].line == tokens[i].line - 1 {
                let previousLine = t.tokens(onLine: tokens[i].line - 1)
                if let start = previousLine.first, ["unit", "psc"].contains(tokens[start].lower) || Self.ships.contains(tokens[start].lower) {
                    first = start
                }
            }
            let start = tokens[first].start, end = tokens[i + 2].end
            out.append(PIIFinding(type: .streetAddress, start: start, end: end, score: 0.8, text: t.text(start, end)))
            for m in first...(i + 2) { used[m] = true }
        }
    }

    /// The lines after a street line: a city line of capitalised words is a place; "Country 12345" is a place and a postcode.
    func addressBlockLines(_ t: ScannedText, after street: PIIFinding, _ used: inout [Bool], into out: inout [PIIFinding]) {
        let tokens = t.tokens
        guard let lastIndex = t.lastToken(endingBy: street.end) else { return }
        let streetLine = tokens[lastIndex].line
        for line in (streetLine + 1)...(streetLine + 4) {
            let onLine = t.tokens(onLine: line)
            // A long line is no address line: it is not looked at (and the scan stays linear).
            guard onLine.count <= 24 else { continue }
            let indices = onLine.filter { !used[$0] && tokens[$0].kind != .punctuation }
            guard !indices.isEmpty, indices.count <= 6 else { continue }
            let words = indices.filter { tokens[$0].kind == .word }
            let numbers = indices.filter { tokens[$0].kind == .number }
            if Self.unitWords.contains(tokens[indices[0]].lower) { continue }
            guard !words.isEmpty, words.allSatisfy({ tokens[$0].capitalized || Self.particles.contains(tokens[$0].lower) || tokens[$0].lower.count <= 3 }),
                  tokens[words[0]].capitalized else { break }
            let start = tokens[words.first!].start, end = tokens[words.last!].end
            out.append(PIIFinding(type: .location, start: start, end: end, score: 0.65, text: t.text(start, end)))
            for m in words { used[m] = true }
            for m in numbers where tokens[m].text.count >= 4 && tokens[m].text.count <= 6 {
                out.append(PIIFinding(type: .streetAddress, start: tokens[m].start, end: tokens[m].end, score: 0.6, text: tokens[m].text))
                used[m] = true
            }
        }
    }

    func addresses(_ t: ScannedText, _ used: inout [Bool], into out: inout [PIIFinding]) {
        militaryAddresses(t, &used, into: &out)
        let tokens = t.tokens
        // Where the first street address found so far ends (a unit line on its own needs one before it).
        var lastStreet: Int? = out.filter { $0.type == .streetAddress }.map(\.end).min()
        var i = 0
        while i < tokens.count {
            guard !used[i] else { i += 1; continue }
            // A street: words with a street word, then or preceded by a number, on one line.
            var j = i
            var sawStreetWord = false, sawNumber = false, words = 0
            var end = i
            var numbers = 0
            // A run longer than any street line (more than 6 words or 8 numbers) cannot be one: stopping there keeps
            // the scan linear on long lines of capitalised words (name lists, shouting), which would otherwise be
            // walked again from every word.
            while j < tokens.count, !used[j], words <= 6, numbers <= 8 {
                let token = tokens[j]
                if j > i, t.gapHasNewline(tokens[j - 1].end, token.start) { break }
                if token.kind == .number, token.text.count <= 6 { sawNumber = true; numbers += 1; end = j; j += 1; continue }
                if token.kind == .alphanumeric, token.text.count <= 5 { sawNumber = true; numbers += 1; end = j; j += 1; continue }
                if token.kind == .word, token.capitalized || isStreetWord(token) || Self.particles.contains(token.lower) || token.allCaps {
                    if isStreetWord(token) { sawStreetWord = true }
                    words += 1; end = j; j += 1; continue
                }
                if token.text == ".", j > i, tokens[j - 1].kind == .word, tokens[j - 1].text.count <= 4 { end = j; j += 1; continue }
                break
            }
            let startsWithNumber = tokens[i].kind == .number || tokens[i].kind == .alphanumeric
            let numberAfterWord = (i...end).contains { k in
                (tokens[k].kind == .number || tokens[k].kind == .alphanumeric) && k > i && tokens[k - 1].kind == .word
            }
            if sawStreetWord, sawNumber, words >= 1, words <= 6, startsWithNumber || numberAfterWord, tokens[i].kind != .punctuation {
                // Extend with a unit on the same line: "Apt. 864", "Suite 727".
                var last = end
                var k = end + 1
                while k + 1 < tokens.count, Self.unitWords.contains(tokens[k].lower) || tokens[k].text == "." || tokens[k].kind == .number {
                    if t.gapHasNewline(tokens[k - 1].end, tokens[k].start) { break }
                    if tokens[k].kind == .number { last = k }
                    k += 1
                }
                let start = tokens[i].start, stop = tokens[last].end
                let street = PIIFinding(type: .streetAddress, start: start, end: stop, score: 0.7, text: t.text(start, stop))
                out.append(street)
                lastStreet = min(lastStreet ?? stop, stop)
                for m in i...last { used[m] = true }
                addressBlockLines(t, after: street, &used, into: &out)
                i = last + 1
                continue
            }
            // A unit line on its own ("Apt. 425", "Suite 680") after an address.
            if Self.unitWords.contains(tokens[i].lower), tokens[i].capitalized || tokens[i].lower == "apt" {
                var k = i + 1
                if k < tokens.count, tokens[k].text == "." { k += 1 }
                if k < tokens.count, tokens[k].kind == .number, let street = lastStreet, street <= tokens[i].start {
                    out.append(PIIFinding(type: .streetAddress, start: tokens[i].start, end: tokens[k].end, score: 0.6, text: t.text(tokens[i].start, tokens[k].end)))
                    for m in i...k { used[m] = true }
                    i = k + 1
                    continue
                }
            }
            i += 1
        }
    }

    // MARK: Places

    func places(_ t: ScannedText, _ used: inout [Bool], into out: inout [PIIFinding]) {
        let tokens = t.tokens
        var i = 0
        while i < tokens.count {
            guard !used[i], tokens[i].kind == .word, tokens[i].capitalized || tokens[i].allCaps else { i += 1; continue }
            // The longest run of words (same line) that is a known place.
            var matched = 0
            var words: [String] = []
            var k = i
            while k < tokens.count, words.count < lexicon.longestPlace, tokens[k].kind == .word, !used[k] {
                if k > i, !t.gapIsOneSpace(tokens[k - 1].end, tokens[k].start) { break }
                words.append(tokens[k].lower)
                if lexicon.places.contains(words.joined(separator: " ")) { matched = words.count }
                k += 1
            }
            if matched > 0 {
                let last = i + matched - 1
                let lower = tokens[i].lower
                let before = t.context(around: tokens[i].start, tokens[i].end, window: 2, after: false)
                // A known place that is also a common word or a first name needs a place word before it.
                let ambiguous = matched == 1 && (isOrdinary(lower) || isFirstName(lower) || isSurname(lower)) && !tokens[i].allCaps
                    && !lexicon.countries.contains(lower)
                if !ambiguous || before.contains(where: Self.placeBefore.contains) {
                    out.append(PIIFinding(type: .location, start: tokens[i].start, end: tokens[last].end, score: 0.75,
                                          text: t.text(tokens[i].start, tokens[last].end)))
                    for m in i...last { used[m] = true }
                    i = last + 1
                    continue
                }
            }
            // An unknown capitalised word after "lives in", "flew to", "from", or on an address line: a place.
            let before = t.context(around: tokens[i].start, tokens[i].end, window: 1, after: false)
            let lower = tokens[i].lower
            if let word = before.last, ["in", "to", "from", "at", "near"].contains(word), !isOrdinary(lower), !isName(lower),
               !Self.titles.contains(lower), i > 0, t.gapIsOneSpace(tokens[i - 1].end, tokens[i].start) {
                var last = i
                while last + 1 < tokens.count, !used[last + 1], tokens[last + 1].kind == .word, tokens[last + 1].capitalized,
                      t.gapIsOneSpace(tokens[last].end, tokens[last + 1].start) { last += 1 }
                if !Self.organisationWords.contains(tokens[last].lower), !hasTitleBefore(t, i) {
                    out.append(PIIFinding(type: .location, start: tokens[i].start, end: tokens[last].end, score: 0.55,
                                          text: t.text(tokens[i].start, tokens[last].end)))
                    for m in i...last { used[m] = true }
                    i = last + 1
                    continue
                }
            }
            i += 1
        }
    }

    func hasTitleBefore(_ t: ScannedText, _ index: Int) -> Bool {
        var k = index - 1
        if k >= 0, t.tokens[k].text == "." { k -= 1 }
        return k >= 0 && Self.titles.contains(t.tokens[k].lower)
    }

    // MARK: People

    func people(_ t: ScannedText, _ used: inout [Bool], into out: inout [PIIFinding]) {
        let tokens = t.tokens
        var i = 0
        while i < tokens.count {
            guard !used[i], isNameToken(tokens[i]) else { i += 1; continue }
            // The run of name tokens: capitalised words, initials ("P."), particles between words, one line.
            var last = i
            var k = i + 1
            while k < tokens.count, !used[k], t.gapIsSpaces(tokens[k - 1].end, tokens[k].start) {
                let token = tokens[k]
                if isNameToken(token) { last = k; k += 1; continue }
                // An upper-case word after a known first name is a surname the lists may not hold ("JANE SAMPLETON").
                if token.kind == .word, token.allCaps, tokens[k - 1].capitalized, isFirstName(tokens[k - 1].lower), !isOrdinary(tokens[k - 1].lower),
                   !isOrdinary(token.lower) {
                    last = k; k += 1; continue
                }
                if token.text == ".", tokens[k - 1].text.count == 1, tokens[k - 1].capitalized { last = k; k += 1; continue }
                if Self.particles.contains(token.lower), k + 1 < tokens.count, isNameToken(tokens[k + 1]) { k += 1; continue }
                break
            }
            // Leading ordinary words ("Unlike", "The") are not part of a name.
            var first = i
            while first <= last, tokens[first].kind == .word, isOrdinary(tokens[first].lower), !isFirstName(tokens[first].lower) { first += 1 }
            // A trailing ordinary word stays when it is a surname after a first name ("Jane Roe", "Fletcher Hill").
            while last > first, tokens[last].kind == .word, isOrdinary(tokens[last].lower), !isFirstName(tokens[last].lower),
                  !(isSurname(tokens[last].lower) && isFirstName(tokens[last - 1].lower)) { last -= 1 }
            if first > last { i = last + 1 > i ? last + 1 : i + 1; continue }
            let words = tokens[first...last].filter { $0.kind == .word && $0.text.count > 1 }
            let score = personScore(t, first: first, last: last, words: words)
            if score >= 0.5, !Self.organisationWords.contains(tokens[last].lower),
               !(k < tokens.count && Self.organisationWords.contains(tokens[k].lower)) {
                var end = tokens[last].end
                if Self.base(tokens[last].lower) != tokens[last].lower { end -= 2 }
                out.append(PIIFinding(type: .person, start: tokens[first].start, end: end, score: min(1, score),
                                      text: t.text(tokens[first].start, end)))
                for m in first...last { used[m] = true }
            }
            i = max(last + 1, i + 1)
        }
    }

    /// Words after which a lower-case known first name is a name ("my name is jane roe", "i'm jane").
    static let introductions: [[String]] = [["name", "is"], ["i'm"], ["im"], ["i", "am"], ["called"], ["named"], ["this", "is"]]
    /// Bytes of which one is in every text with an introduction (the detector's fast path looks for them).
    static let introductionWords: [[UInt8]] = ["name", "i'm", "im ", "i am", "called", "this is"].map { Array($0.utf8) }

    /// People written in lower case, which capitalisation cannot find: a known first name (no ordinary word)
    /// right after an introduction, with the next word when it is a surname or no ordinary word.
    func lowercasePeople(_ t: ScannedText, _ used: inout [Bool], into out: inout [PIIFinding]) {
        let tokens = t.tokens
        for i in tokens.indices where !used[i] && tokens[i].kind == .word && !tokens[i].capitalized
            && isFirstName(tokens[i].lower) && !isOrdinary(tokens[i].lower) {
            let introduced = Self.introductions.contains { phrase in
                guard i >= phrase.count else { return false }
                return zip(tokens[(i - phrase.count)..<i], phrase).allSatisfy { $0.lower == $1 }
            }
            guard introduced else { continue }
            var last = i
            if i + 1 < tokens.count, !used[i + 1], tokens[i + 1].kind == .word, !tokens[i + 1].capitalized,
               t.gapIsOneSpace(tokens[i].end, tokens[i + 1].start),
               isSurname(tokens[i + 1].lower) || !isOrdinary(tokens[i + 1].lower) {
                last = i + 1
            }
            out.append(PIIFinding(type: .person, start: tokens[i].start, end: tokens[last].end, score: 0.6,
                                  text: t.text(tokens[i].start, tokens[last].end)))
            for m in i...last { used[m] = true }
        }
    }

    func isNameToken(_ token: ScannedText.Token) -> Bool {
        guard token.kind == .word, token.capitalized else { return false }
        if token.text.count == 1 { return true }  // an initial
        if token.allCaps, token.text.count > 3 { return isName(token.lower) }
        if Self.titles.contains(token.lower) { return false }
        return true
    }

    func personScore(_ t: ScannedText, first: Int, last: Int, words: [ScannedText.Token]) -> Double {
        guard !words.isEmpty else { return 0 }
        var evidence = 0.0
        for word in words {
            let lower = word.lower
            if isFirstName(lower) { evidence += 0.45 }
            else if isSurname(lower) { evidence += isOrdinary(lower) ? 0.15 : 0.35 }
            else if !isOrdinary(lower) { evidence += lexicon.places.contains(lower) ? 0.05 : 0.3 }
            else { evidence -= 0.2 }
        }
        let before = t.context(around: t.tokens[first].start, t.tokens[first].end, window: 3, after: false)
        let after = t.context(around: t.tokens[last].start, t.tokens[last].end, window: 1).suffix(1)
        if hasTitleBefore(t, first) { evidence += 0.6 }
        if before.contains(where: Self.personBefore.contains) { evidence += 0.25 }
        if after.contains(where: Self.personAfter.contains) { evidence += 0.2 }
        let next = t.firstToken(startingFrom: t.tokens[last].end)
        if let next, t.tokens[next].text == ":" || t.tokens[next].text == ",", t.tokens[first].startsSentence || (first > 0 && t.tokens[first - 1].text == ",") {
            evidence += 0.25  // "Ella: …", "Aloisia, can I …", lists of names
        }
        if words.count >= 2 { evidence += 0.15 }
        // A lone capitalised word at the start of a sentence is weak evidence of a name.
        if words.count == 1, t.tokens[first].startsSentence, !isFirstName(words[0].lower) { evidence -= 0.2 }
        return evidence
    }
}
