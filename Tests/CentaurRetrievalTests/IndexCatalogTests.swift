import CentaurTestSupport
import Foundation
import Synchronization
import Testing
@testable import CentaurRetrieval

/// Index storage in memory whose reads of one name wait until released, and which counts reads per name.
final class GatedStorage: IndexStorage, Sendable {
    private let state = Mutex<(indexes: [String: (Data, String)], reads: [String: Int], gate: [CheckedContinuation<Void, Never>], held: String?)>(
        ([:], [:], [], nil))

    var location: String { "memory" }

    /// Reads of `name` wait from now until ``release()``.
    func hold(_ name: String) { state.withLock { $0.held = name } }

    func release() {
        let waiting = state.withLock { state in
            defer { state.gate = []; state.held = nil }
            return state.gate
        }
        for waiter in waiting { waiter.resume() }
    }

    func reads(_ name: String) -> Int { state.withLock { $0.reads[name] ?? 0 } }
    var waiting: Int { state.withLock { $0.gate.count } }

    func names() -> [String] { state.withLock { $0.indexes.keys.sorted() } }
    func version(_ name: String) -> String? { state.withLock { $0.indexes[name]?.1 } }

    func read(_ name: String) async -> (data: Data, version: String)? {
        let held = state.withLock { state -> Bool in
            state.reads[name, default: 0] += 1
            return state.held == name
        }
        if held { await withCheckedContinuation { continuation in state.withLock { $0.gate.append(continuation) } } }
        return state.withLock { $0.indexes[name].map { ($0.0, $0.1) } }
    }

    func write(_ name: String, _ data: Data, if condition: IndexWriteCondition) throws -> String {
        try state.withLock { state in
            guard condition.holds(for: state.indexes[name]?.1) else { throw condition.conflict(name, found: state.indexes[name]?.1) }
            let version = UUID().uuidString
            state.indexes[name] = (data, version)
            return version
        }
    }

    func delete(_ name: String) -> Bool { state.withLock { $0.indexes.removeValue(forKey: name) != nil } }
}

@Suite("The index catalog a server searches through")
struct IndexCatalogTests {
    static func collection(_ name: String, _ texts: [String: String]) throws -> RetrievalCollection {
        var collection = RetrievalCollection(manifest: CollectionManifest(name: name))
        try collection.upsert(texts.map { RetrievalDocument(id: $0.key, text: $0.value, metadata: [:]) })
        return collection
    }

    @Test("a search of one index does not wait for another index's load, and searches that arrive during a load share it",
          .timeLimit(.minutes(10)))
    func loadsOffTheActor() async throws {
        let storage = GatedStorage()
        let library = RetrievalLibrary(storage: storage)
        try await library.save(try Self.collection("slow", ["s1": "vitamin D and bone density"]))
        try await library.save(try Self.collection("fast", ["f1": "statins and muscle pain"]))
        let catalog = IndexCatalog(library: library, embedderDirectory: nil)
        storage.hold("slow")
        // Six searches of the held index start; none can finish while its read is held.
        let slow = (0..<6).map { _ in Task { try await catalog.search("slow", RetrievalQuery(text: "bone", top: 3)).map(\.id) } }
        while storage.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
        // The other index loads and answers meanwhile.
        #expect(try await catalog.search("fast", RetrievalQuery(text: "statins", top: 3)).map(\.id) == ["f1"])
        storage.release()
        for search in slow { #expect(try await search.value == ["s1"]) }
        #expect(storage.reads("slow") == 1, "one read for six searches that arrived during the load")
        #expect(storage.reads("fast") == 1)
        // Loaded once: later searches read nothing until the version changes.
        _ = try await catalog.search("slow", RetrievalQuery(text: "bone"))
        #expect(storage.reads("slow") == 1)
        try await library.save(try Self.collection("slow", ["s2": "bone fractures"]))
        #expect(try await catalog.search("slow", RetrievalQuery(text: "bone", top: 3)).map(\.id) == ["s2"])
        #expect(storage.reads("slow") == 2)
    }

    @Test("a failed load is reported to every search waiting on it and tried again by the next one")
    func failedLoad() async throws {
        let storage = GatedStorage()
        let library = RetrievalLibrary(storage: storage)
        try storage.write("broken", Data("not an index".utf8), if: .any)
        let catalog = IndexCatalog(library: library, embedderDirectory: nil)
        await #expect(throws: RetrievalError.self) { try await catalog.search("broken", RetrievalQuery(text: "bone")) }
        try await library.save(try Self.collection("broken", ["b1": "bone"]))
        #expect(try await catalog.search("broken", RetrievalQuery(text: "bone")).map(\.id) == ["b1"])
    }
}
