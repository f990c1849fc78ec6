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
        // Every recogniser needs a capital letter, a digit, "@" or ":" (IPv6): text without any has nothing to find.
        guard text.unicodeScalars.contains(where: { ScannedText.isUppercase($0) || ScannedText.isDigit($0) || $0 == "@" || $0 == ":" }) else {
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

    /// Keeps the best of overlapping findings (higher score, then longer), in text order.
    static func resolveOverlaps(_ findings: [PIIFinding]) -> [PIIFinding] {
        let ranked = findings.sorted { ($0.score, $0.end - $0.start, -$0.start) > ($1.score, $1.end - $1.start, -$1.start) }
        var kept: [PIIFinding] = []
        for finding in ranked where !kept.contains(where: { $0.start < finding.end && finding.start < $0.end }) {
            kept.append(finding)
        }
        return kept.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    }
}
