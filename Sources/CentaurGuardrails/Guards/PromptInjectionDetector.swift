import CentaurCore
import Foundation

/// Heuristics for text that tries to steer a model: "ignore previous instructions", role overrides,
/// requests to reveal the system prompt, instructions addressed to the AI or the reviewer. They flag; what to
/// do with a flag is the caller's policy (record it, send to review, or refuse).
public struct PromptInjectionDetector: Sendable {
    public struct Signal: Sendable, Hashable, Codable {
        /// Which heuristic matched.
        public var rule: String
        /// The matching text.
        public var text: String
        public var score: Double
    }

    static let rules: [(name: String, pattern: String, score: Double)] = [
        ("ignore_instructions",
         #"\b(ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}\b(previous|prior|above|earlier|all|any|your|the)\b[^.\n]{0,30}"#
            + #"\b(instructions?|rules?|prompts?|directions?|guidelines?)"#, 0.9),
        ("new_instructions", #"\b(new|updated|real|actual)\s+(instructions?|rules?|task)\s*[:\-]"#, 0.6),
        ("role_override", #"\byou\s+are\s+(now|no\s+longer)\b|\bfrom\s+now\s+on\s+you\b|\bact\s+as\s+(an?\s+)?(unrestricted|jailbroken|dan)\b"#, 0.7),
        ("reveal_prompt", #"\b(reveal|show|print|repeat|output)\b[^.\n]{0,30}\b(system\s+prompt|hidden\s+instructions?|your\s+instructions)"#, 0.8),
        ("addressed_to_model", #"\b(note|message|instruction)s?\s+(to|for)\s+(the\s+)?(ai|assistant|model|llm|chatbot|reviewer|system)\b"#, 0.8),
        ("decision_request", #"\b(approve|accept|whitelist|pass)\s+(this|the)\s+(applicant|application|candidate|request|user)\b"#, 0.7),
        ("delimiter_escape", #"(</?(system|instructions?|prompt)>|\[/?(system|inst)\]|###\s*(system|instruction))"#, 0.6),
    ]

    private let compiled: [(String, NSRegularExpression, Double)]

    public init() {
        compiled = Self.rules.compactMap { rule in
            (try? NSRegularExpression(pattern: rule.pattern, options: [.caseInsensitive])).map { (rule.name, $0, rule.score) }
        }
    }

    /// Words at least one rule needs: text with none of them is not scanned with the expressions.
    static let triggers = ["ignore", "disregard", "forget", "override", "bypass", "instruction", "rule", "prompt", "task", "you are",
                           "from now on", "act as", "reveal", "show", "print", "repeat", "output", "note", "message", "approve",
                           "accept", "whitelist", "pass", "<", "[", "###"]
    private static let triggerBytes: [[UInt8]] = triggers.map { Array($0.utf8) }

    /// Whether the text holds any trigger word, ignoring ASCII case (every trigger is ASCII). A byte scan:
    /// this runs on every request, and Foundation's `contains` costs a bridge to `NSString` per word.
    static func mayMatch(_ text: String) -> Bool { text.containsASCII(anyOf: triggerBytes) }

    /// Every heuristic that matches, strongest first.
    public func signals(in text: String) -> [Signal] {
        guard Self.mayMatch(text) else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        var found: [Signal] = []
        for (name, regex, score) in compiled {
            if let match = regex.firstMatch(in: text, range: range), let span = Range(match.range, in: text) {
                found.append(Signal(rule: name, text: String(text[span]), score: score))
            }
        }
        return found.sorted { $0.score > $1.score }
    }
}
