import CentaurCore
import Foundation

/// The collections a server searches: loaded from a ``RetrievalLibrary`` on first use and loaded again when their
/// stored version changes (`centaur index add` from another process, or on another replica sharing the database,
/// shows up at the next search), with the embedding model for dense and hybrid queries loaded once, when first needed
/// and installed.
///
/// The actor only keeps the table of what is loaded. Reading an index and building its HNSW graph (seconds for a large
/// one, on a ``CPUWork`` thread) happen off the actor, once per version however many searches ask meanwhile, and the
/// searches themselves (encoding the query, scoring) run on the caller's task over a copy of the collection: a search
/// of one index never waits for another index's load, and searches run side by side.
public actor IndexCatalog {
    public let library: RetrievalLibrary
    private let embedderDirectory: URL?
    private var loaded: [String: (version: String, collection: RetrievalCollection)] = [:]
    /// Loads under way, by name: the version that was asked for and the one task every search of it awaits.
    private var loading: [String: (version: String, id: UUID, task: Task<(version: String, collection: RetrievalCollection), any Error>)] = [:]
    private var embedders: [MiniLMEncoder.Precision: MiniLMEncoder] = [:]

    /// - Parameter embedderDirectory: where the MiniLM model is installed (nil: dense and hybrid searches are refused).
    public init(library: RetrievalLibrary, embedderDirectory: URL?) {
        self.library = library
        self.embedderDirectory = embedderDirectory
    }

    /// The collection as its storage holds it now.
    public func collection(_ name: String) async throws -> RetrievalCollection {
        guard let version = try await library.version(name) else {
            loaded[name] = nil
            throw RetrievalError.notFound("no index named \(name) (centaur index create \(name) --input FILE.jsonl)")
        }
        if let cached = loaded[name], cached.version == version { return cached.collection }
        if let pending = loading[name], pending.version == version { return try await pending.task.value.collection }
        let library = library
        let task = Task.detached { () async throws -> (version: String, collection: RetrievalCollection) in
            let (collection, read) = try await library.loadVersioned(name)
            // A large collection searches through an HNSW graph, built once per load (the stored bytes do not hold it),
            // on a CPU-work thread: seconds of work that Swift concurrency's few threads should not carry.
            let built = await CPUWork.run(size: CPUWork.inlineLimit) {
                var collection = collection
                collection.buildGraphIfLarge()
                return collection
            }
            return (read, built)
        }
        let id = UUID()
        loading[name] = (version, id, task)
        do {
            let result = try await task.value
            if loading[name]?.id == id {
                loading[name] = nil
                loaded[name] = result
            }
            return result.collection
        } catch {
            if loading[name]?.id == id { loading[name] = nil }
            throw error
        }
    }

    /// The names of the stored collections.
    public func names() async throws -> [String] { try await library.names() }

    /// Searches a collection; a dense or hybrid query is embedded with the local model first. Runs on the caller's
    /// task, not the actor's.
    public nonisolated func search(_ name: String, _ query: RetrievalQuery) async throws -> [RetrievalHit] {
        let collection = try await collection(name)
        var query = query
        if query.mode != .lexical, query.vector == nil, collection.dense != nil {
            // The query is encoded as the collection's vectors were (float32 or int8: its manifest names the model).
            query.vector = try await model(try MiniLMEncoder.precision(of: collection.manifest)).encode(query.text)
        }
        return try collection.searchNow(query)
    }

    /// The local embedding model at `precision`, loaded on first use.
    func model(_ precision: MiniLMEncoder.Precision = .float32) throws -> MiniLMEncoder {
        if let embedder = embedders[precision] { return embedder }
        guard let embedderDirectory, FileManager.default.fileExists(atPath: embedderDirectory.appendingPathComponent("model.safetensors").path) else {
            throw RetrievalError.unavailable("dense and hybrid search need the embedding model: run scripts/setup-embeddings")
        }
        let model = try MiniLMEncoder(directory: embedderDirectory, precision: precision)
        embedders[precision] = model
        return model
    }
}
