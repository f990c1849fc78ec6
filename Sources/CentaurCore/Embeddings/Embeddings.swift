/// Turns texts into vectors whose distances reflect meaning: the seam a semantic cache and retrieval use.
public protocol EmbeddingModel: Sendable {
    /// The model's name, as configured.
    var name: String { get }
    /// The length of every vector it returns.
    var dimensions: Int { get }
    /// One vector per text, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
    /// The vectors with what they cost in tokens, as the provider counts them; by default ``embed(_:)`` with tokens
    /// estimated high (a token per three bytes), so an embedding call never passes a token budget uncounted.
    func embeddings(for request: EmbeddingRequest) async throws -> EmbeddingResult
}

/// Texts to embed, and the vector length wanted where the model can shorten its vectors.
public struct EmbeddingRequest: Sendable, Hashable {
    public var inputs: [String]
    /// Fewer dimensions than the model's own (OpenAI's `text-embedding-3`, Titan V2); nil keeps the model's.
    public var dimensions: Int?

    public init(inputs: [String], dimensions: Int? = nil) {
        self.inputs = inputs
        self.dimensions = dimensions
    }
}

/// One vector per input, in order, and the tokens they took.
public struct EmbeddingResult: Sendable, Hashable {
    public var vectors: [[Float]]
    /// Input tokens; embeddings have no output.
    public var usage: Usage
    /// The model that answered, as the provider names it.
    public var model: String?

    public init(vectors: [[Float]], usage: Usage, model: String? = nil) {
        self.vectors = vectors
        self.usage = usage
        self.model = model
    }
}

extension EmbeddingModel {
    public func embeddings(for request: EmbeddingRequest) async throws -> EmbeddingResult {
        let vectors = try await embed(request.inputs)
        let tokens = request.inputs.reduce(0) { $0 + max(1, ($1.utf8.count + 2) / 3) }
        return EmbeddingResult(vectors: vectors, usage: Usage(inputTokens: tokens), model: name)
    }
}

/// One stored vector with the key it answers for.
public struct VectorMatch: Sendable, Hashable {
    public var id: String
    /// Cosine similarity, -1…1.
    public var similarity: Float

    public init(id: String, similarity: Float) {
        self.id = id
        self.similarity = similarity
    }
}

/// Stores vectors by id and finds the nearest ones, within a namespace (a tenant), so one tenant's entries
/// never answer another's queries.
public protocol VectorIndex: Sendable {
    func upsert(id: String, vector: [Float], namespace: String) async throws
    func remove(id: String, namespace: String) async throws
    /// The `limit` most similar vectors at or above `minimumSimilarity`, most similar first.
    func nearest(to vector: [Float], namespace: String, limit: Int, minimumSimilarity: Float) async throws -> [VectorMatch]
}

/// An exact (brute-force) in-memory index: correct at any size, fast enough for tens of thousands of vectors.
public actor InMemoryVectorIndex: VectorIndex {
    private var vectors: [String: [String: [Float]]] = [:]

    public init() {}

    public func upsert(id: String, vector: [Float], namespace: String) {
        vectors[namespace, default: [:]][id] = Self.normalised(vector)
    }

    public func remove(id: String, namespace: String) {
        vectors[namespace]?[id] = nil
    }

    public func nearest(to vector: [Float], namespace: String, limit: Int, minimumSimilarity: Float) -> [VectorMatch] {
        let query = Self.normalised(vector)
        var matches: [VectorMatch] = []
        for (id, stored) in vectors[namespace] ?? [:] where stored.count == query.count {
            var dot: Float = 0
            for i in query.indices { dot += query[i] * stored[i] }
            if dot >= minimumSimilarity { matches.append(VectorMatch(id: id, similarity: dot)) }
        }
        return Array(matches.sorted { ($0.similarity, $1.id) > ($1.similarity, $0.id) }.prefix(limit))
    }

    static func normalised(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
