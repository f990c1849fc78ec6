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

    @Test("bytes round-trip whole (8 MiB too); each write draws a larger generation, never reused even after a drop; names sorted", arguments: kinds)
    func roundTrip(kind: StoreKind) async throws {
        let store = try Self.make(kind)
        #expect(try await store.retrievalIndexNames().isEmpty)
        #expect(try await store.retrievalIndex("papers") == nil)
        #expect(try await store.retrievalIndexGeneration("papers") == nil)
        var generator = SplitMix64(seed: 7)
        let large = Data((0..<(8 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let first = try await store.saveRetrievalIndex("papers", data: large)
        let abstracts = try await store.saveRetrievalIndex("abstracts", data: Data("a".utf8))
        let read = try #require(try await store.retrievalIndex("papers"))
        #expect(read.data == large && read.generation == first)
        let second = try await store.saveRetrievalIndex("papers", data: Data("v2".utf8))
        #expect(second > first && second != abstracts)
        #expect(try await store.retrievalIndexGeneration("papers") == second)
        #expect(try await store.retrievalIndex("papers")?.data == Data("v2".utf8))
        #expect(try await store.retrievalIndexNames() == ["abstracts", "papers"])
        #expect(try await store.deleteRetrievalIndex("papers"))
        #expect(try await !store.deleteRetrievalIndex("papers"))
        #expect(try await store.retrievalIndexNames() == ["abstracts"])
        let again = try await store.saveRetrievalIndex("papers", data: Data("again".utf8))
        #expect(again > second, "a replica holding generation \(second) of the dropped index must see the new one as new")
    }

    @Test("conditional writes: absent only when there is none, a generation only while it is stored; a refused write changes nothing", arguments: kinds)
    func conditionalWrites(kind: StoreKind) async throws {
        let store = try Self.make(kind)
        let created = try #require(try await store.saveRetrievalIndex("papers", data: Data("v1".utf8), if: .absent))
        #expect(try await store.saveRetrievalIndex("papers", data: Data("other".utf8), if: .absent) == nil)
        let updated = try #require(try await store.saveRetrievalIndex("papers", data: Data("v2".utf8), if: .generation(created)))
        #expect(updated > created)
        #expect(try await store.saveRetrievalIndex("papers", data: Data("stale".utf8), if: .generation(created)) == nil)
        #expect(try await store.retrievalIndex("papers")?.data == Data("v2".utf8))
        #expect(try await store.retrievalIndexGeneration("papers") == updated)
        #expect(try await store.saveRetrievalIndex("missing", data: Data("x".utf8), if: .generation(updated)) == nil)
        #expect(try await store.retrievalIndex("missing") == nil, "a generation expected of nothing creates nothing")
    }

    @Test("16 writers each read, change and write one index at once: with conditional writes and retries none is lost",
          arguments: kinds)
    func racingWriters(kind: StoreKind) async throws {
        let store = try Self.make(kind)
        try await store.saveRetrievalIndex("shared", data: Data())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<16 {
                group.addTask {
                    while true {  // each appends its own byte to what it read
                        let (data, generation) = try #require(try await store.retrievalIndex("shared"))
                        if try await store.saveRetrievalIndex("shared", data: data + [UInt8(n)], if: .generation(generation)) != nil { return }
                    }
                }
            }
            try await group.waitForAll()
        }
        let last = try #require(try await store.retrievalIndex("shared"))
        #expect(Set(last.data) == Set(0..<16) && last.data.count == 16, "every writer's byte, each once: \(Array(last.data))")
    }
}
