/// Turns texts into vectors whose distances reflect meaning: the seam a semantic cache and retrieval use.
public protocol EmbeddingModel: Sendable {
    /// The model's name, as configured.
    var name: String { get }
    /// The length of every vector it returns.
    var dimensions: Int { get }
    /// One vector per text, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
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
