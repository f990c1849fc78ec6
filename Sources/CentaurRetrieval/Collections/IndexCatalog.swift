import CentaurCore
import Foundation

/// The collections a server searches: loaded from a ``RetrievalLibrary`` on first use and loaded again when their
/// file changes (`centaur index add` from another process shows up at the next search), with the embedding model for
/// dense and hybrid queries loaded once, when first needed and installed.
public actor IndexCatalog {
    public let library: RetrievalLibrary
    private let embedderDirectory: URL?
    private var loaded: [String: (modified: Date, collection: RetrievalCollection)] = [:]
    private var embedder: MiniLMEncoder?

    /// - Parameter embedderDirectory: where the MiniLM model is installed (nil: dense and hybrid searches are refused).
    public init(library: RetrievalLibrary, embedderDirectory: URL?) {
        self.library = library
        self.embedderDirectory = embedderDirectory
    }

    /// The collection as its file holds it now.
    public func collection(_ name: String) throws -> RetrievalCollection {
        try CollectionManifest.validate(name: name)
        let path = library.directory.appendingPathComponent(name + ".cidx").path
        guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else {
            loaded[name] = nil
            throw RetrievalError.notFound("no index named \(name) (centaur index create \(name) --input FILE.jsonl)")
        }
        if let cached = loaded[name], cached.modified == modified { return cached.collection }
        var collection = try library.load(name)
        // A large collection searches through an HNSW graph, built once per load (the file does not hold it).
        collection.buildGraphIfLarge()
        loaded[name] = (modified, collection)
        return collection
    }

    /// The names of the collections on disk.
    public func names() throws -> [String] { try library.names() }

    /// Searches a collection; a dense or hybrid query is embedded with the local model first.
    public func search(_ name: String, _ query: RetrievalQuery) async throws -> [RetrievalHit] {
        let collection = try collection(name)
        var query = query
        if query.mode != .lexical, query.vector == nil, collection.dense != nil {
            query.vector = try model().encode(query.text)
        }
        return try collection.searchNow(query)
    }

    /// The local embedding model, loaded on first use.
    func model() throws -> MiniLMEncoder {
        if let embedder { return embedder }
        guard let embedderDirectory, FileManager.default.fileExists(atPath: embedderDirectory.appendingPathComponent("model.safetensors").path) else {
            throw RetrievalError.unavailable("dense and hybrid search need the embedding model: run scripts/setup-embeddings")
        }
        let model = try MiniLMEncoder(directory: embedderDirectory)
        embedder = model
        return model
    }
}
