import CentaurCore
/// Finds personal data in text with Centaur's own recognisers (no model, no network): structured identifiers
/// by pattern, checksum and context words, then people, places and street addresses by capitalisation,
/// shipped word lists and context. Findings never overlap: the higher-scoring one wins.
///
/// ```swift
/// let findings = PIIDetector().findings(in: "Call Jane Roe at 555-867-5309")
/// // PERSON "Jane Roe", PHONE_NUMBER "555-867-5309"
/// ```
public struct PIIDetector: Sendable {
    public var lexicon: PIILexicon
    /// Findings scoring below this are dropped (0…1).
    public var threshold: Double
    /// Only these types are reported (all when nil).
    public var types: Set<PIIType>?

    public init(lexicon: PIILexicon = .shared, threshold: Double = 0.5, types: Set<PIIType>? = nil) {
        self.lexicon = lexicon
        self.threshold = threshold
        self.types = types
    }

    public func findings(in text: String) -> [PIIFinding] {
        // Every recogniser needs a capital letter, a digit, "@" or ":" (IPv6), except lower-case names after an
        // introduction ("my name is jane roe"): text with none of these has nothing to find.
        guard text.unicodeScalars.contains(where: { ScannedText.isUppercase($0) || ScannedText.isDigit($0) || $0 == "@" || $0 == ":" })
            || text.containsASCII(anyOf: NameRecognizer.introductionWords) else {
            return []
        }
        let scanned = ScannedText(text)
        var structured: [PIIFinding] = []
        PatternRecognizers.emails(scanned, into: &structured)
        PatternRecognizers.ibans(scanned, into: &structured)
        PatternRecognizers.ipAddresses(scanned, into: &structured)
        PatternRecognizers.numbers(scanned, into: &structured)
        PatternRecognizers.alphanumericIDs(scanned, into: &structured)
        structured = Self.resolveOverlaps(structured.filter { $0.score >= threshold })
        var words: [PIIFinding] = []
        NameRecognizer(lexicon: lexicon).recognize(scanned, taken: structured, into: &words)
        var all = Self.resolveOverlaps(structured + words.filter { $0.score >= threshold })
        if let types { all = all.filter { types.contains($0.type) } }
        return all
    }

    /// The findings in `text` whose value does not occur in `reference` (personal data an answer holds that its
    /// request did not). Linear in both texts: a value is first looked up word by word in the reference's words, and
    /// only the first ``maximumSubstringChecks`` distinct values whose words all occur are confirmed by a substring
    /// search. Past that a value counts as not in the reference: a leak check errs towards flagging.
    public func findings(in text: String, notIn reference: String) -> [PIIFinding] {
        let found = findings(in: text)
        guard !found.isEmpty else { return [] }
        guard !reference.isEmpty else { return found }
        var words = Set<String>()
        for token in ScannedText(reference).tokens where token.kind != .punctuation {
            words.insert(token.text)
            // "Roe's" holds "Roe".
            if token.text.hasSuffix("'s") || token.text.hasSuffix("\u{2019}s") { words.insert(String(token.text.dropLast(2))) }
        }
        var decided: [String: Bool] = [:]
        var substringChecks = 0
        return found.filter { finding in
            if let inReference = decided[finding.text] { return !inReference }
            var inReference = ScannedText(finding.text).tokens.allSatisfy { $0.kind == .punctuation || words.contains($0.text) }
            if inReference {
                substringChecks += 1
                inReference = substringChecks <= Self.maximumSubstringChecks && reference.contains(finding.text)
            }
            decided[finding.text] = inReference
            return !inReference
        }
    }

    /// How many values ``findings(in:notIn:)`` confirms by a search through the whole reference.
    static let maximumSubstringChecks = 32

    /// Keeps the best of overlapping findings (higher score, then longer), in text order.
    static func resolveOverlaps(_ findings: [PIIFinding]) -> [PIIFinding] {
        guard findings.count > 1 else { return findings }
        let ranked = findings.sorted { ($0.score, $0.end - $0.start, -$0.start) > ($1.score, $1.end - $1.start, -$1.start) }
        // Which offsets a kept finding covers: each check costs the finding's length, not the number kept.
        var covered = [Bool](repeating: false, count: (findings.map(\.end).max() ?? 0) + 1)
        var kept: [PIIFinding] = []
        for finding in ranked where finding.start < finding.end && !covered[finding.start..<finding.end].contains(true) {
            kept.append(finding)
            for offset in finding.start..<finding.end { covered[offset] = true }
        }
        return kept.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    }
}
