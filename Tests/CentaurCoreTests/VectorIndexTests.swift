import CentaurCore
import Testing

@Suite("In-memory vector index")
struct VectorIndexTests {
    @Test("nearest vectors by cosine similarity, within one namespace only")
    func nearest() async throws {
        let index = InMemoryVectorIndex()
        await index.upsert(id: "a", vector: [1, 0, 0], namespace: "team:x")
        await index.upsert(id: "b", vector: [0.9, 0.1, 0], namespace: "team:x")
        await index.upsert(id: "c", vector: [0, 1, 0], namespace: "team:x")
        await index.upsert(id: "other", vector: [1, 0, 0], namespace: "team:y")
        let found = await index.nearest(to: [2, 0, 0], namespace: "team:x", limit: 2, minimumSimilarity: 0.5)
        #expect(found.map(\.id) == ["a", "b"])
        #expect(abs(found[0].similarity - 1) < 1e-6)
        await index.remove(id: "a", namespace: "team:x")
        #expect(await index.nearest(to: [1, 0, 0], namespace: "team:x", limit: 5, minimumSimilarity: 0.999).isEmpty)
        #expect(await index.nearest(to: [1, 0, 0], namespace: "team:y", limit: 5, minimumSimilarity: 0.99).map(\.id) == ["other"])
    }
}
