import CentaurCore
import Foundation

/// The model's part of matching: from the candidates retrieval found, pick the best five and say why, in a sentence
/// each, from what the two profiles wrote. Its answer is held to a JSON Schema whose ids are the candidates' own, and
/// checked again here: an id it was not given is dropped and reported, never shown as a match.
public struct MatchExplainer: Sendable {
    public let model: any LanguageModel
    public let modelName: String
    public var picks: Int

    public init(model: any LanguageModel, modelName: String, picks: Int = 5) {
        self.model = model
        self.modelName = modelName
        self.picks = max(1, picks)
    }

    public struct Pick: Sendable, Hashable, Encodable {
        public var id: String
        public var reason: String
    }

    public struct Ranking: Sendable, Hashable, Encodable {
        public var picks: [Pick]
        /// Ids the model named that were not among the candidates (dropped).
        public var invented: [String]
        /// True when the model's answer could not be used and the picks are retrieval's order, without reasons.
        public var fallback: Bool
    }

    func schema(_ ids: [String]) -> JSONValue {
        [
            "type": "object", "additionalProperties": false, "required": ["matches"],
            "properties": [
                "matches": [
                    "type": "array", "minItems": 1, "maxItems": .number(Double(picks)),
                    "items": [
                        "type": "object", "additionalProperties": false, "required": ["id", "reason"],
                        "properties": ["id": ["type": "string", "enum": .array(ids.map(JSONValue.string))], "reason": ["type": "string"]],
                    ],
                ],
            ],
        ]
    }

    /// Words two texts share (compared by stem, stopwords and filler left out), as the first one writes them: what
    /// the model is asked to build its reason on, and what is shown when it gives none.
    public static func commonGround(_ a: String, _ b: String) -> [String] {
        let analyzer = Analyzer.english
        let filler: Set<String> = ["used", "would", "these", "days", "lately", "now", "mostly", "growing", "years", "ago", "only", "wanted",
                                   "favourite", "film", "genre", "music", "repeat", "sunday", "find", "always", "defend", "looking", "someone",
                                   "argue", "last", "concert", "twenties", "other", "like", "such", "read", "watch", "listen", "see", "seek",
                                   "rewatch", "day", "films", "series", "shows", "books", "you", "me", "with", "about", "all"]
        var theirs: Set<String> = []
        Analyzer.forEachWord(b) { word in
            let lower = word.lowercased()
            if !analyzer.stopwords.contains(lower), !filler.contains(lower) { theirs.insert(analyzer.stem(lower)) }
        }
        var shared: [String] = []
        var seen: Set<String> = []
        Analyzer.forEachWord(a) { word in
            let lower = word.lowercased()
            guard lower.count > 2, !analyzer.stopwords.contains(lower), !filler.contains(lower) else { return }
            let stem = analyzer.stem(lower)
            if theirs.contains(stem), seen.insert(stem).inserted { shared.append(word) }
        }
        return shared
    }

    static func describe(_ document: RetrievalDocument) -> String {
        let age = document.metadata["age"].map { "\($0)" } ?? "?"
        let city = document.metadata["city"].map { "\($0)" } ?? "?"
        return "age \(age), \(city): \(document.text)"
    }

    /// Ranks `candidates` for `me`.
    public func rank(_ me: RetrievalDocument, candidates: [RetrievalDocument]) async throws -> Ranking {
        guard !candidates.isEmpty else { return Ranking(picks: [], invented: [], fallback: false) }
        let ids = candidates.map(\.id)
        let list = candidates.map { candidate in
            let shared = Self.commonGround(me.text, candidate.text)
            return "[\(candidate.id)] \(Self.describe(candidate))\n  in common: \(shared.isEmpty ? "nothing named" : shared.joined(separator: ", "))"
        }.joined(separator: "\n")
        let prompt = """
            Someone wrote this about their tastes in books, TV, films and music:
            \(Self.describe(me))

            Candidates (id in brackets):
            \(list)

            Choose the \(min(picks, candidates.count)) candidates whose tastes fit best, best first (more in common is better). For each \
            give its id and one short sentence of your own, such as "Both love jazz and Dune.", naming what the two have in common. \
            Do not copy their texts.
            """
        let request = ModelRequest(
            model: modelName, system: "You match people by shared tastes. Answer with JSON only.",
            messages: [Message(role: .user, content: [.text(prompt)])], maxTokens: 600, temperature: 0,
            responseFormat: .jsonSchema(name: "matches", schema: schema(ids)))
        let response = try await model.respond(to: request)
        var seen: Set<String> = []
        var chosen: [Pick] = []
        var invented: [String] = []
        if let json = try? JSONValue(parsing: Data(response.text.utf8)), let matches = json["matches"]?.arrayValue {
            for match in matches {
                guard let id = match["id"]?.stringValue else { continue }
                guard ids.contains(id) else { invented.append(id); continue }
                guard seen.insert(id).inserted, chosen.count < limit(candidates) else { continue }
                let candidate = candidates.first { $0.id == id }!
                var reason = match["reason"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                // A "reason" that repeats a profile's own words is no reason: say what they share instead.
                if reason.isEmpty || reason.count > 40 && (candidate.text.contains(reason.prefix(40)) || me.text.contains(reason.prefix(40))) {
                    let shared = Self.commonGround(me.text, candidate.text)
                    reason = shared.isEmpty ? "" : "in common: " + shared.joined(separator: ", ")
                }
                chosen.append(Pick(id: id, reason: reason))
            }
        }
        if chosen.isEmpty {
            return Ranking(picks: candidates.prefix(limit(candidates)).map { candidate in
                let shared = Self.commonGround(me.text, candidate.text)
                return Pick(id: candidate.id, reason: shared.isEmpty ? "" : "in common: " + shared.joined(separator: ", "))
            }, invented: invented, fallback: true)
        }
        return Ranking(picks: chosen, invented: invented, fallback: false)
    }

    func limit(_ candidates: [RetrievalDocument]) -> Int { min(picks, candidates.count) }
}
