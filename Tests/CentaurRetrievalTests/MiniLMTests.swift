import CentaurTestSupport
import Foundation
import Testing
@testable import CentaurRetrieval

/// The native MiniLM encoder against the reference figures. Needs the model (scripts/setup-embeddings; scripts/test
/// installs it and sets CENTAUR_REQUIRE_EMBEDDINGS=1, so there a missing model fails instead of skipping).
enum LocalEmbeddings {
    static let directory = Repository.root.appendingPathComponent(".centaur/models/all-minilm-l6-v2")
    static var wanted: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path)
            || ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_EMBEDDINGS"] == "1"
    }
    static let encoder: MiniLMEncoder? = try? MiniLMEncoder(directory: directory)
}

@Suite("all-MiniLM-L6-v2, native", .enabled(if: LocalEmbeddings.wanted, "run scripts/setup-embeddings"))
struct MiniLMTests {
    static var encoder: MiniLMEncoder? { LocalEmbeddings.encoder }

    @Test("WordPiece: lower-cased, accents stripped, punctuation split, words spelled from the vocabulary, [CLS] … [SEP]")
    func tokens() throws {
        let tokenizer = try #require(Self.encoder?.tokenizer)
        #expect(WordPieceTokenizer.basicTokens("Héllo, WORLD!  naïve\tcafé") == ["hello", ",", "world", "!", "naive", "cafe"])
        let ids = tokenizer.ids("A man is eating food.")
        #expect(ids.first == tokenizer.start && ids.last == tokenizer.end && ids.count == 8)
        let long = tokenizer.ids(String(repeating: "word ", count: 1_000))
        #expect(long.count == 256 && long.last == tokenizer.end, "cut to the model's 256")
        let unknown = tokenizer.ids("\u{1F600}")
        #expect(unknown == [tokenizer.start, tokenizer.unknown, tokenizer.end])
    }

    @Test("the reference similarity: cos(\"A man is eating food.\", \"A man is eating a piece of bread.\") = 0.7553 ± 0.002")
    func reference() async throws {
        let encoder = try #require(Self.encoder)
        let vectors = try await encoder.embed(["A man is eating food.", "A man is eating a piece of bread.", "The new movie is awful."])
        #expect(vectors.allSatisfy { $0.count == 384 && abs($0.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4 }, "unit vectors")
        let similar = MiniLMEncoder.cosine(vectors[0], vectors[1])
        #expect(abs(similar - 0.7553) <= 0.002, "\(similar)")
        #expect(MiniLMEncoder.cosine(vectors[0], vectors[2]) < 0.2, "unrelated sentences are far apart")
    }

    @Test("batch-invariant: a text's vector does not depend on the texts beside it or their order")
    func batchInvariant() async throws {
        let encoder = try #require(Self.encoder)
        let texts = ["Vitamin D and bone density.", "A short one.", String(repeating: "A much longer text about statins. ", count: 20)]
        let together = try await encoder.embed(texts)
        let reversed = try await encoder.embed(texts.reversed())
        let alone = try await texts.asyncMap { try await encoder.embed([$0])[0] }
        #expect(together == alone && Array(reversed.reversed()) == alone)
    }

    @Test("int8: the reference similarity within 0.002 (as float32), each vector within 0.01 cosine of float32's, batch-invariant, named apart")
    func int8() async throws {
        guard MiniLMEncoder.int8Supported else {
            #expect(throws: RetrievalError.self) { try MiniLMEncoder(directory: LocalEmbeddings.directory, precision: .int8) }
            return
        }
        let float32 = try #require(Self.encoder)
        let encoder = try MiniLMEncoder(directory: LocalEmbeddings.directory, precision: .int8)
        #expect(encoder.name == "all-minilm-l6-v2-int8" && MiniLMEncoder.precision(named: encoder.name) == .int8 && float32.name == "all-minilm-l6-v2")
        let texts = ["A man is eating food.", "A man is eating a piece of bread.", "The new movie is awful.",
                     "Vitamin D supplementation and fracture risk in older adults: a randomised trial.",
                     String(repeating: "Statins lower LDL cholesterol and cardiovascular events in high-risk patients. ", count: 12)]
        let vectors = try await encoder.embed(texts), reference = try await float32.embed(texts)
        let similar = MiniLMEncoder.cosine(vectors[0], vectors[1])
        #expect(abs(similar - 0.7553) <= 0.002, "\(similar)")
        for (index, pair) in zip(vectors, reference).enumerated() {
            #expect(MiniLMEncoder.cosine(pair.0, pair.1) >= 0.99, "text \(index): \(MiniLMEncoder.cosine(pair.0, pair.1))")
        }
        let alone = try await texts.asyncMap { try await encoder.embed([$0])[0] }
        #expect(alone == vectors && encoder.encodeAll(texts.reversed(), threads: 2).reversed() == vectors)
    }
}
