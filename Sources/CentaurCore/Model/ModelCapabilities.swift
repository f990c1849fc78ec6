/// What a model can take and give, declared on the model itself (FoundationModels' light model value): callers
/// decide from it whether to send images or PDFs, tools or a JSON Schema, and whether usage arrives while streaming.
public struct ModelCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Reads images in the request.
    public static let images = ModelCapabilities(rawValue: 1 << 0)
    /// Reads PDF documents in the request.
    public static let pdfs = ModelCapabilities(rawValue: 1 << 1)
    /// Calls tools.
    public static let tools = ModelCapabilities(rawValue: 1 << 2)
    /// Answers in a given JSON Schema (natively, by grammar, or by a forced tool).
    public static let jsonSchema = ModelCapabilities(rawValue: 1 << 3)
    /// Reports token usage at the end of a stream, so a streamed call is costed as a whole one is.
    public static let usageWhileStreaming = ModelCapabilities(rawValue: 1 << 4)

    public static let all: ModelCapabilities = [.images, .pdfs, .tools, .jsonSchema, .usageWhileStreaming]
}
