import CentaurCore

/// Embeds a text as its letter counts (26 dimensions): texts that share letters are near. A stand-in for MiniLM where a
/// test needs nearness it can predict.
public struct LetterEmbedder: EmbeddingModel {
    public let name = "letters"
    public let dimensions = 26

    public init() {}

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map { text in
            var vector = [Float](repeating: 0, count: 26)
            for byte in text.uppercased().utf8 where (65...90).contains(byte) { vector[Int(byte - 65)] += 1 }
            return vector
        }
    }
}
