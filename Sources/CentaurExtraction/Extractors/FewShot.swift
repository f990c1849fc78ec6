import CentaurCore
import Foundation

/// A document a human labelled, as a worked example for the model: its text and the values a human stands behind.
public struct FewShotExample: Sendable, Hashable {
    /// Whose document it is (an application): never shown as an example for the same subject's documents.
    public var subject: String
    public var documentType: String
    public var text: String
    /// The answer the model should have given: every field it is asked for.
    public var answer: JSONValue

    public init(subject: String, documentType: String, text: String, answer: JSONValue) {
        self.subject = subject; self.documentType = documentType; self.text = text; self.answer = answer
    }
}

/// Chooses the labelled examples that go into an extraction prompt.
public protocol FewShotSelector: Sendable {
    /// A short name for traces and prompt versions (`nearest3`).
    var label: String { get }
    /// The examples for a document of `type` with `text`, best first; none of them `subject`'s.
    func examples(for type: DocumentType, text: String, subject: String?) async throws -> [FewShotExample]
}

/// The k labelled examples nearest a document by the cosine of their texts' embeddings (same document type, never the
/// same subject). Example texts are embedded once, when first needed.
public actor NearestExamples: FewShotSelector {
    public let k: Int
    private let pool: [FewShotExample]
    private let embedder: any EmbeddingModel
    private var vectors: [[Float]]?

    public nonisolated var label: String { "nearest\(k)" }

    public init(_ examples: [FewShotExample], k: Int = 3, embedder: any EmbeddingModel) {
        self.pool = examples
        self.k = k
        self.embedder = embedder
    }

    public func examples(for type: DocumentType, text: String, subject: String?) async throws -> [FewShotExample] {
        let candidates = pool.indices.filter { pool[$0].documentType == type.id && pool[$0].subject != subject }
        guard k > 0, !candidates.isEmpty else { return [] }
        if vectors == nil { vectors = Self.normalized(try await embedder.embed(pool.map(\.text))) }
        guard let query = Self.normalized(try await embedder.embed([text])).first, let vectors else { return [] }
        let scored = candidates.map { index in (index, zip(vectors[index], query).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
        // Ties by the pool's order, so the same document always gets the same examples.
        return scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k).map { pool[$0.0] }
    }

    static func normalized(_ vectors: [[Float]]) -> [[Float]] {
        vectors.map { vector in
            let norm = max(vector.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return vector.map { $0 / norm }
        }
    }
}
