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
