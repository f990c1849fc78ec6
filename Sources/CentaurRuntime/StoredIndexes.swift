import CentaurRetrieval
import CentaurStore
import Foundation

/// Retrieval indexes kept by a ``RetrievalIndexStore`` (the shared database's `retrieval_index`), for a
/// ``RetrievalLibrary``: the version is the row's generation.
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

    public func write(_ name: String, _ data: Data) async throws { try await store.saveRetrievalIndex(name, data: data) }

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
