import CentaurCore
import Foundation

/// An answer drawn from retrieved passages, with its citations checked against them.
public struct GroundedAnswer: Sendable, Hashable, Encodable {
    public struct Citation: Sendable, Hashable, Encodable {
        public var id: String
        /// Whether the cited id is one of the passages the model was given.
        public var verified: Bool
    }

    /// The model's answer (the refusal when nothing relevant was found).
    public var answer: String
    /// False when retrieval found nothing relevant or the model said the sources do not answer: "not found".
    public var found: Bool
    public var citations: [Citation]
    /// Cited ids that were not among the passages given: invented.
    public var invented: [String]
    /// True only when the answer cites at least one passage and invents none.
    public var grounded: Bool
    /// The passages given to the model, in order.
    public var sources: [String]

    enum CodingKeys: String, CodingKey { case answer, found, citations, invented, grounded, sources }
}

/// Answers a question from retrieved passages through any ``LanguageModel`` (in Centaur, the gateway pipeline, so
/// the passages pass the data policy like any content): packs the best passages under a token budget, asks for
/// citations by passage id, and checks every citation. No passage, or a model that says the sources do not answer,
/// gives "not found" — never an invented answer; an answer that cites nothing, or an id it was not given, is flagged.
public struct GroundedAnswerer: Sendable {
    public let model: any LanguageModel
    public let modelName: String
    /// Tokens of passage text the prompt may hold (whitespace words unless `count` says otherwise).
    public var contextTokens: Int
    public var count: @Sendable (String) -> Int
    /// What the model is told to say when the passages do not answer, and what "not found" answers say.
    public static let notFound = "NOT FOUND"

    public init(model: any LanguageModel, modelName: String, contextTokens: Int = 1_500, count: @escaping @Sendable (String) -> Int = Chunker.words) {
        self.model = model
        self.modelName = modelName
        self.contextTokens = max(50, contextTokens)
        self.count = count
    }

    static let instructions = """
        Answer the question using only the numbered sources below. After each sentence, cite the sources it rests on by \
        their id in square brackets, for example [doc7#2]. Do not use anything you know that the sources do not say. \
        If the sources do not contain the answer, reply with exactly: NOT FOUND
        """

    /// The passages that fit the budget, best first (a passage that does not fit whole is left out, not cut).
    public func pack(_ hits: [RetrievalHit]) -> [RetrievalHit] {
        var used = 0
        var packed: [RetrievalHit] = []
        for hit in hits {
            let tokens = count(hit.text)
            if used + tokens > contextTokens { continue }
            used += tokens
            packed.append(hit)
        }
        return packed
    }

    public func answer(_ question: String, hits: [RetrievalHit]) async throws -> GroundedAnswer {
        let passages = pack(hits)
        guard !passages.isEmpty else {
            return GroundedAnswer(answer: Self.notFound, found: false, citations: [], invented: [], grounded: false, sources: [])
        }
        let sources = passages.map { "[\($0.id)] \($0.text)" }.joined(separator: "\n\n")
        let request = ModelRequest(model: modelName, system: Self.instructions,
                                   messages: [.user("Sources:\n\n\(sources)\n\nQuestion: \(question)")], temperature: 0)
        let text = try await model.respond(to: request).text.trimmingCharacters(in: .whitespacesAndNewlines)
        let given = Set(passages.map(\.id))
        // "NOT FOUND" anywhere ("[p1] NOT FOUND", "The sources do not say. NOT FOUND") is not found: an answer that
        // also says the sources do not answer is no answer.
        if text.uppercased().contains(Self.notFound) || Self.withoutCitations(text).isEmpty {
            return GroundedAnswer(answer: Self.notFound, found: false, citations: [], invented: [], grounded: false, sources: passages.map(\.id))
        }
        var cited: [String] = []
        for id in Self.citations(in: text) where !cited.contains(id) { cited.append(id) }
        let citations = cited.map { GroundedAnswer.Citation(id: $0, verified: given.contains($0)) }
        let invented = cited.filter { !given.contains($0) }
        return GroundedAnswer(answer: text, found: true, citations: citations, invented: invented,
                              grounded: !cited.isEmpty && invented.isEmpty, sources: passages.map(\.id))
    }

    /// The text with its bracketed citations taken out, trimmed of spaces and punctuation.
    static func withoutCitations(_ text: String) -> String {
        var kept = ""
        var depth = 0
        for character in text {
            if character == "[" { depth += 1; continue }
            if character == "]", depth > 0 { depth -= 1; continue }
            if depth == 0 { kept.append(character) }
        }
        return kept.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
    }

    /// Ids in square brackets, `[a]` or `[a, b]`.
    static func citations(in text: String) -> [String] {
        var ids: [String] = []
        var inside = false
        var current = ""
        for character in text {
            if character == "[" { inside = true; current = ""; continue }
            if character == "]", inside {
                ids += current.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.contains(" ") }
                inside = false
                continue
            }
            if inside { current.append(character) }
        }
        return ids
    }
}
