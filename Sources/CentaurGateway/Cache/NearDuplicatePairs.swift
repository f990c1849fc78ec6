import CentaurCore
import Foundation

/// Pairs of prompts for measuring a semantic cache: near-duplicates that need different answers ("the capital of
/// France" / "of Germany", "miles to kilometres" / "kilometres to miles") — a cache that serves one for the other
/// gives a wrong answer — and paraphrases that need the same answer, which it should serve. Generated from templates,
/// deterministically from a seed.
public struct PromptPair: Sendable, Hashable, Codable {
    public var family: String
    public var first: String
    public var second: String
    /// Whether one answer serves both.
    public var sameAnswer: Bool

    public init(family: String, first: String, second: String, sameAnswer: Bool) {
        self.family = family; self.first = first; self.second = second; self.sameAnswer = sameAnswer
    }

    enum CodingKeys: String, CodingKey {
        case family, first, second
        case sameAnswer = "same_answer"
    }
}

public enum NearDuplicatePairs {
    static let countries = ["France", "Germany", "Spain", "Italy", "Portugal", "Poland", "Sweden", "Norway", "Japan", "China", "India", "Brazil",
                            "Argentina", "Canada", "Mexico", "Egypt", "Kenya", "Australia", "Turkey", "Greece", "Austria", "Chile", "Peru", "Vietnam"]
    static let books = ["Pride and Prejudice", "Moby-Dick", "War and Peace", "Ulysses", "Middlemarch", "Beloved", "Dracula", "Frankenstein",
                        "Jane Eyre", "Great Expectations", "Anna Karenina", "Don Quixote", "Things Fall Apart", "The Trial", "Emma", "Hamlet"]
    static let languages = ["French", "German", "Spanish", "Italian", "Japanese", "Portuguese", "Dutch", "Polish", "Swedish", "Korean"]
    static let phrases = ["good morning", "thank you very much", "where is the station", "I would like a coffee", "see you tomorrow", "how much does it cost"]
    static let units = [("miles", "kilometres"), ("pounds", "kilograms"), ("inches", "centimetres"), ("gallons", "litres"), ("Fahrenheit", "Celsius"), ("feet", "metres")]
    static let opposites = [("larger", "smaller"), ("hotter", "colder"), ("older", "younger"), ("before", "after"), ("most", "least"), ("north", "south"),
                            ("increase", "decrease"), ("ascending", "descending"), ("maximum", "minimum"), ("first", "last")]
    static let comparativeSubjects = ["planets are {} than Earth", "countries in Europe are {} than Germany by area", "metals have a melting point {} than iron",
                                      "US states are {} than Texas by population", "rivers are {} than the Thames"]
    static let sortSubjects = ["a list of integers", "the rows of a table by date", "an array of strings by length", "a dictionary by its values"]
    static let programmingLanguages = ["Python", "Swift", "Go", "Rust", "JavaScript", "Java"]
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

    /// `count` pairs (about half of each kind), the same for the same seed.
    public static func generate(count: Int, seed: UInt64 = 42) -> [PromptPair] {
        var random = SplitMix64(seed: seed)
        var pairs: [PromptPair] = []
        var seen: Set<String> = []
        var attempts = 0
        while pairs.count < count, attempts < count * 50 {
            attempts += 1
            let pair = make(kind: attempts % 2 == 0, random: &random)
            guard pair.first != pair.second, seen.insert(pair.first + "\u{1}" + pair.second).inserted else { continue }
            pairs.append(pair)
        }
        return pairs
    }

    static func make(kind same: Bool, random: inout SplitMix64) -> PromptPair {
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        // Only the branch taken is evaluated, so each kind draws from the generator as it always has.
        func pair(
            _ family: String, _ first: String, same paraphrase: @autoclosure () -> String, different other: @autoclosure () -> String
        ) -> PromptPair {
            PromptPair(family: family, first: first, second: same ? paraphrase() : other(), sameAnswer: same)
        }
        func two<T>(_ items: [T]) -> (T, T) {
            let a = Int(random.next() % UInt64(items.count))
            var b = Int(random.next() % UInt64(items.count - 1))
            if b >= a { b += 1 }
            return (items[a], items[b])
        }
        switch random.next() % 7 {
        case 0:
            let (a, b) = two(countries)
            return pair("capital", "What is the capital of \(a)?",
                same: pick(["Which city is the capital of \(a)?", "Name the capital city of \(a).", "\(a)'s capital is which city?"]),
                different: "What is the capital of \(b)?")
        case 1:
            let x = Int(random.next() % 900) + 100, y = Int(random.next() % 900) + 100
            let delta = pick([1, 2, 10, 100])
            return pair("arithmetic", "What is \(x) plus \(y)?",
                same: pick(["What's \(x) + \(y)?", "Add \(x) and \(y).", "Compute the sum of \(x) and \(y)."]),
                different: pick(["What is \(x) plus \(y + delta)?", "What is \(x) minus \(y)?", "What is \(x) times \(y)?"]))
        case 2:
            let (from, to) = pick(units)
            let n = Int(random.next() % 200) + 1
            return pair("conversion", "Convert \(n) \(from) to \(to).",
                same: pick(["How many \(to) is \(n) \(from)?", "What is \(n) \(from) in \(to)?"]),
                different: pick(["Convert \(n) \(to) to \(from).", "Convert \(n + pick([1, 5, 10])) \(from) to \(to)."]))
        case 3:
            let (a, b) = pick(opposites)
            let subject = pick(comparativeSubjects)
            let first = "Which " + subject.replacingOccurrences(of: "{}", with: a) + "?"
            return pair("opposite", first,
                same: "List the " + subject.replacingOccurrences(of: "{}", with: a) + ".",
                different: "Which " + subject.replacingOccurrences(of: "{}", with: b) + "?")
        case 4:
            let (a, b) = two(languages)
            let phrase = pick(phrases)
            return pair("translation", "Translate '\(phrase)' into \(a).",
                same: "How do you say '\(phrase)' in \(a)?",
                different: "Translate '\(phrase)' into \(b).")
        case 5:
            let (a, b) = two(books)
            return pair("author", "Who wrote \(a)?",
                same: pick(["Who is the author of \(a)?", "\(a) was written by whom?"]),
                different: "Who wrote \(b)?")
        default:
            let language = pick(programmingLanguages), subject = pick(sortSubjects)
            let (a, b) = pick([("ascending", "descending"), ("ascending", "reverse")])
            let day = Int(random.next() % 28) + 1, (m1, m2) = two(months), year = 1950 + Int(random.next() % 70)
            if random.next() % 2 == 0 {
                return pair("code", "Write a \(language) function that sorts \(subject) in \(a) order.",
                    same: "In \(language), write a function to sort \(subject) in \(a) order.",
                    different: "Write a \(language) function that sorts \(subject) in \(b) order.")
            }
            return pair("date", "What day of the week was \(m1) \(day), \(year)?",
                same: "On which weekday did \(m1) \(day), \(year) fall?",
                different: "What day of the week was \(m2) \(day), \(year)?")
        }
    }

    /// At each threshold: the share of different-answer pairs a cache at that threshold would wrongly serve (false
    /// hits) and the share of paraphrases it would serve (true hits).
    public struct Rates: Sendable, Hashable, Codable {
        public var threshold: Double
        public var falseHitRate: Double
        public var paraphraseHitRate: Double
        /// The family with the most false hits, and its rate.
        public var worstFamily: String?
        public var worstFamilyRate: Double

        enum CodingKeys: String, CodingKey {
            case threshold
            case falseHitRate = "false_hit_rate"
            case paraphraseHitRate = "paraphrase_hit_rate"
            case worstFamily = "worst_family"
            case worstFamilyRate = "worst_family_rate"
        }
    }

    /// Rates from each pair's cosine similarity; with `matchLiterals`, a pair whose numbers or quoted text differ is
    /// never a hit (as the cache's `match_literals` does).
    public static func rates(_ pairs: [PromptPair], similarities: [Double], thresholds: [Double], matchLiterals: Bool = false) -> [Rates] {
        precondition(pairs.count == similarities.count)
        let similarities = matchLiterals
            ? zip(pairs, similarities).map { SemanticCache.literals($0.first) == SemanticCache.literals($0.second) ? $1 : -1 } : similarities
        let different = pairs.indices.filter { !pairs[$0].sameAnswer }, same = pairs.indices.filter { pairs[$0].sameAnswer }
        return thresholds.map { threshold in
            let falseHits = different.filter { similarities[$0] >= threshold }
            var byFamily: [String: (hits: Int, total: Int)] = [:]
            for index in different {
                byFamily[pairs[index].family, default: (0, 0)].total += 1
                if similarities[index] >= threshold { byFamily[pairs[index].family, default: (0, 0)].hits += 1 }
            }
            let worst = byFamily.map { ($0.key, Double($0.value.hits) / Double(max(1, $0.value.total))) }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }.first
            return Rates(threshold: threshold, falseHitRate: Double(falseHits.count) / Double(max(1, different.count)),
                         paraphraseHitRate: Double(same.filter { similarities[$0] >= threshold }.count) / Double(max(1, same.count)),
                         worstFamily: worst?.0, worstFamilyRate: worst?.1 ?? 0)
        }
    }

    /// Each pair's cosine similarity under `model` (every distinct text embedded once).
    public static func similarities(_ pairs: [PromptPair], model: any EmbeddingModel, batch: Int = 64) async throws -> [Double] {
        let texts = Array(Set(pairs.flatMap { [$0.first, $0.second] })).sorted()
        var vectors: [String: [Float]] = [:]
        for start in stride(from: 0, to: texts.count, by: batch) {
            let slice = Array(texts[start..<min(start + batch, texts.count)])
            for (text, vector) in zip(slice, try await model.embed(slice)) { vectors[text] = SemanticCache.normalised(vector) }
        }
        return pairs.map { pair in
            let a = vectors[pair.first] ?? [], b = vectors[pair.second] ?? []
            return Double(zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        }
    }
}

