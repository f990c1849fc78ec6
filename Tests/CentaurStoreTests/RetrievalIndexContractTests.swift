import CentaurCore
import CentaurPostgres
import CentaurStore
import CentaurTestSupport
import Foundation
import Testing

/// Retrieval indexes in the shared database: the in-memory double and PostgreSQL (SQLite deployments keep index
/// files instead, so it has no implementation).
struct RetrievalIndexContract {
    static var kinds: [StoreKind] { StoreKind.allCases.filter { $0 != .sqlite } }

    static func make(_ kind: StoreKind) throws -> any RetrievalIndexStore {
        kind == .postgres ? try StoreKind.postgresStore() : InMemoryRetrievalIndexStore()
    }

    @Test("bytes round-trip whole (8 MiB included); every write raises the generation; names sorted; delete says whether it did",
          arguments: kinds)
    func roundTrip(kind: StoreKind) async throws {
        let store = try Self.make(kind)
        #expect(try await store.retrievalIndexNames().isEmpty)
        #expect(try await store.retrievalIndex("papers") == nil)
        #expect(try await store.retrievalIndexGeneration("papers") == nil)
        var generator = SplitMix64(seed: 7)
        let large = Data((0..<(8 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(try await store.saveRetrievalIndex("papers", data: large) == 1)
        #expect(try await store.saveRetrievalIndex("abstracts", data: Data("a".utf8)) == 1)
        let read = try #require(try await store.retrievalIndex("papers"))
        #expect(read.data == large && read.generation == 1)
        #expect(try await store.saveRetrievalIndex("papers", data: Data("v2".utf8)) == 2)
        #expect(try await store.retrievalIndexGeneration("papers") == 2)
        #expect(try await store.retrievalIndex("papers")?.data == Data("v2".utf8))
        #expect(try await store.retrievalIndexNames() == ["abstracts", "papers"])
        #expect(try await store.deleteRetrievalIndex("papers"))
        #expect(try await !store.deleteRetrievalIndex("papers"))
        #expect(try await store.retrievalIndexNames() == ["abstracts"])
        #expect(try await store.saveRetrievalIndex("papers", data: Data("again".utf8)) == 1, "a new index starts again at 1")
    }

    @Test("writers racing on one index: every write lands as its own generation, and the last one stands whole", arguments: kinds)
    func racingWriters(kind: StoreKind) async throws {
        let store = try Self.make(kind)
        let generations = try await withThrowingTaskGroup(of: Int64.self) { group in
            for n in 0..<16 { group.addTask { try await store.saveRetrievalIndex("shared", data: Data(repeating: UInt8(n), count: 4_096)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(generations.sorted() == Array(1...16))
        let last = try #require(try await store.retrievalIndex("shared"))
        #expect(last.generation == 16 && Set(last.data).count == 1 && last.data.count == 4_096, "one writer's bytes, never a mix")
    }
}
