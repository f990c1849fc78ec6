import CentaurRetrieval
import CentaurStore
import Foundation

/// Retrieval indexes kept by a ``RetrievalIndexStore`` (the shared database's `retrieval_index`), for a
/// ``RetrievalLibrary``: the version is the row's generation, and a conditional write compares it in the statement that
/// writes.
public struct StoredIndexes: IndexStorage {
    public let store: any RetrievalIndexStore
    public let location: String

    public init(store: any RetrievalIndexStore, location: String = "the shared database") {
        self.store = store
        self.location = location
    }

    public func names() async throws -> [String] { try await store.retrievalIndexNames() }

    public func read(_ name: String) async throws -> (data: Data, version: String)? {
        try await store.retrievalIndex(name).map { ($0.data, String($0.generation)) }
    }

    public func version(_ name: String) async throws -> String? {
        try await store.retrievalIndexGeneration(name).map(String.init)
    }

    @discardableResult
    public func write(_ name: String, _ data: Data, if condition: IndexWriteCondition) async throws -> String {
        let expected: RetrievalIndexExpectation
        switch condition {
        case .any: expected = .any
        case .absent: expected = .absent
        case .version(let version):
            // A version this store did not hand out (not a generation) can match nothing stored.
            guard let generation = Int64(version) else { throw condition.conflict(name, found: try await self.version(name)) }
            expected = .generation(generation)
        }
        guard let generation = try await store.saveRetrievalIndex(name, data: data, if: expected) else {
            throw condition.conflict(name, found: try await version(name))
        }
        return String(generation)
    }

    public func delete(_ name: String) async throws -> Bool { try await store.deleteRetrievalIndex(name) }
}

extension Stores {
    /// Where this deployment's retrieval indexes live: the shared database when it keeps them (PostgreSQL, so every
    /// replica searches the same ones), else files in `DATA_DIR/indexes`.
    public func retrievalLibrary(dataDirectory: String) -> RetrievalLibrary {
        if let indexes { return RetrievalLibrary(storage: StoredIndexes(store: indexes)) }
        return RetrievalLibrary(directory: URL(fileURLWithPath: dataDirectory).appendingPathComponent("indexes"))
    }
}
