import CentaurCore
import Foundation

/// One searchable document: its id, the text that is indexed, and typed metadata to filter on.
public struct RetrievalDocument: Sendable, Hashable, Codable {
    public var id: String
    public var text: String
    public var metadata: [String: MetadataValue]
    public init(id: String, text: String, metadata: [String: MetadataValue] = [:]) {
        self.id = id; self.text = text; self.metadata = metadata
    }

    /// An id as input records write it: a non-empty string, or a whole number (within ±2⁵³) as its digits.
    public static func id(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)? where !text.isEmpty: return text
        case .number(let number)? where number == number.rounded() && abs(number) <= 9_007_199_254_740_992: return String(Int64(number))
        default: return nil
        }
    }
}

/// How a collection reads its input records and scores its documents.
public struct CollectionManifest: Sendable, Hashable, Codable {
    public var name: String
    /// The input field holding a record's id.
    public var idField: String
    /// Input fields joined (with a space) into the indexed text, in this order.
    public var textFields: [String]
    /// Input fields kept as typed metadata (``MetadataValue``).
    public var metadataFields: [String]
    public var analyzer: String
    public var bm25: LexicalIndex.Parameters
    /// The embedding model whose vectors the collection keeps (`all-minilm-l6-v2`); nil for a lexical-only collection.
    public var embedding: String?
    /// How hybrid search fuses its two lists.
    public var fusion: FusionSettings
    /// Records split into chunks (``Chunker``), each a document `ID#N` with its record's metadata plus `parent`,
    /// `chunk`, and `page` and `heading` when known; nil keeps each record whole.
    public var chunking: ChunkSettings?
    public var createdAt: Date
    public var updatedAt: Date

    public init(name: String, idField: String = "_id", textFields: [String] = ["title", "text"], metadataFields: [String] = [],
                bm25: LexicalIndex.Parameters = .init(), createdAt: Date = Date()) {
        self.name = name; self.idField = idField; self.textFields = textFields; self.metadataFields = metadataFields
        self.analyzer = "english"; self.bm25 = bm25; self.createdAt = createdAt; self.updatedAt = createdAt
        self.embedding = nil; self.fusion = FusionSettings(); self.chunking = nil
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        idField = try c.decode(String.self, forKey: .idField)
        textFields = try c.decode([String].self, forKey: .textFields)
        metadataFields = try c.decode([String].self, forKey: .metadataFields)
        analyzer = try c.decode(String.self, forKey: .analyzer)
        bm25 = try c.decode(LexicalIndex.Parameters.self, forKey: .bm25)
        embedding = try c.decodeIfPresent(String.self, forKey: .embedding)
        fusion = try c.decodeIfPresent(FusionSettings.self, forKey: .fusion) ?? FusionSettings()
        chunking = try c.decodeIfPresent(ChunkSettings.self, forKey: .chunking)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case name, analyzer, bm25, embedding, fusion, chunking
        case idField = "id_field", textFields = "text_fields", metadataFields = "metadata_fields"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    /// Collection names: letters, digits, `-` and `_`, up to 64 (they name files).
    public static func validate(name: String) throws {
        guard !name.isEmpty, name.count <= 64, !name.hasPrefix("-"),
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw RetrievalError.badInput("an index name is 1–64 letters, digits, - and _ (got \"\(name)\")")
        }
    }
}

/// Chunk sizes, in tokens (whitespace words unless the collection's embedding model counts them).
public struct ChunkSettings: Sendable, Hashable, Codable {
    public var tokens: Int
    public var overlap: Int
    public init(tokens: Int, overlap: Int) { self.tokens = tokens; self.overlap = overlap }
}

/// How hybrid search fuses the lexical and dense lists (each read `depth` deep).
public struct FusionSettings: Sendable, Hashable, Codable {
    public enum Method: String, Sendable, Hashable, Codable, CaseIterable {
        /// Each list's scores scaled to 0…1, then weighted and summed (``RankFusion/weighted(_:weights:)``).
        case weighted
        /// Reciprocal rank fusion: `weight / (k + rank)` summed (``RankFusion/reciprocal(_:weights:k:)``).
        case rrf
    }

    public var method: Method
    public var lexicalWeight: Double
    public var denseWeight: Double
    /// RRF's k.
    public var k: Double
    /// How deep each list is read before fusing (at least the results asked for).
    public var depth: Int
    public init(method: Method = .weighted, lexicalWeight: Double = 0.5, denseWeight: Double = 0.5, k: Double = 60, depth: Int = 100) {
        self.method = method; self.lexicalWeight = lexicalWeight; self.denseWeight = denseWeight; self.k = k; self.depth = depth
    }
    enum CodingKeys: String, CodingKey { case method, k, depth, lexicalWeight = "lexical_weight", denseWeight = "dense_weight" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decodeIfPresent(Method.self, forKey: .method) ?? .rrf
        lexicalWeight = try c.decode(Double.self, forKey: .lexicalWeight)
        denseWeight = try c.decode(Double.self, forKey: .denseWeight)
        k = try c.decode(Double.self, forKey: .k)
        depth = try c.decode(Int.self, forKey: .depth)
    }
}

/// How a search ranks: BM25 over terms, nearest embeddings, or both fused.
public enum RetrievalMode: String, Sendable, Hashable, Codable, CaseIterable {
    case lexical, dense, hybrid
}

/// One search.
public struct RetrievalQuery: Sendable, Hashable {
    public var text: String
    public var top: Int
    public var mode: RetrievalMode
    public var filter: RetrievalFilter?
    /// The query's embedding, for dense and hybrid search (``RetrievalCollection/search(_:embedder:)`` fills it in).
    public var vector: [Float]?
    /// Hybrid fusion for this query instead of the collection's (fitting weights tries several).
    public var fusion: FusionSettings?
    /// Exact or through the graph (``DenseSearchMethod``); automatic unless a benchmark asks.
    public var denseMethod: DenseSearchMethod = .automatic
    public init(text: String, top: Int = 10, mode: RetrievalMode = .lexical, filter: RetrievalFilter? = nil, vector: [Float]? = nil) {
        self.text = text; self.top = top; self.mode = mode; self.filter = filter; self.vector = vector
    }
}

/// One result: the document and its score under the query's mode (higher is better), rank 1 first.
public struct RetrievalHit: Sendable, Hashable, Encodable {
    public var id: String
    public var rank: Int
    public var score: Double
    public var text: String
    public var metadata: [String: MetadataValue]

    enum CodingKeys: String, CodingKey { case id, rank, score, text, metadata }

    /// Metadata as plain JSON (``MetadataValue/json``).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(rank, forKey: .rank)
        try container.encode(score, forKey: .score)
        try container.encode(text, forKey: .text)
        try container.encode(metadata.mapValues(\.json), forKey: .metadata)
    }
}

/// Anything that answers searches: a collection in memory now; stores and remote engines later.
public protocol Retriever: Sendable {
    func search(_ query: RetrievalQuery) async throws -> [RetrievalHit]
}

/// A named set of documents and its indexes, kept whole in memory (``RetrievalLibrary`` writes it to disk).
public struct RetrievalCollection: Sendable, Retriever {
    public var manifest: CollectionManifest
    public private(set) var documents: [String: RetrievalDocument] = [:]
    public private(set) var lexical: LexicalIndex
    /// The documents' embeddings, when the manifest names an embedding model.
    public private(set) var dense: DenseIndex?

    public init(manifest: CollectionManifest, dimensions: Int? = nil) {
        self.manifest = manifest
        lexical = LexicalIndex(analyzer: .english, parameters: manifest.bm25)
        if manifest.embedding != nil { dense = DenseIndex(dimensions: dimensions ?? 384) }
    }

    public var count: Int { documents.count }

    /// Adds documents, replacing those whose ids are already here; no rebuild. A collection with embeddings needs
    /// each document's vector (``vectors``, in order).
    public mutating func upsert(_ batch: [RetrievalDocument], vectors: [[Float]]? = nil, at date: Date = Date()) throws {
        if let dense {
            guard let vectors, vectors.count == batch.count, vectors.allSatisfy({ $0.count == dense.dimensions }) else {
                throw RetrievalError.badInput("collection \(manifest.name) keeps \(manifest.embedding ?? "") embeddings: every document needs its \(dense.dimensions)-dimensional vector")
            }
        }
        for (index, document) in batch.enumerated() {
            documents[document.id] = document
            lexical.upsert(id: document.id, text: document.text)
            if let vectors { dense?.upsert(id: document.id, vector: vectors[index]) }
        }
        manifest.updatedAt = date
    }

    /// An empty dense index of `dimensions` (a stored collection's, before its vectors are restored).
    mutating func prepareDense(dimensions: Int) { dense = DenseIndex(dimensions: dimensions) }

    /// Builds the dense index's HNSW graph now, for approximate search of a collection too small to keep one.
    public mutating func buildGraph() { dense?.buildGraph() }

    /// Builds the dense index's graph when the collection is large enough to want one (``DenseIndex/buildGraphIfLarge()``).
    public mutating func buildGraphIfLarge() { dense?.buildGraphIfLarge() }

    /// Restores a stored vector.
    mutating func restore(vector: [Float], of id: String) { dense?.upsert(id: id, vector: vector, normalized: true) }

    /// The index's number for `term` (numbering it when new): loading renumbers stored term lists with it.
    mutating func number(_ term: String) -> Int32 { lexical.number(term) }

    /// Restores a stored word's analysis (so queries need not stem words the index has seen).
    mutating func remember(word: String, term: Int32) { lexical.remember(word: word, term: term) }

    /// Restores a stored document with its stored term counts (no analysis).
    mutating func restore(_ document: RetrievalDocument, counts: [LexicalIndex.TermCount]) {
        documents[document.id] = document
        lexical.upsert(id: document.id, counts: counts)
    }

    /// Removes documents by id; returns how many were here.
    @discardableResult
    public mutating func delete(ids: [String], at date: Date = Date()) -> Int {
        var removed = 0
        for id in ids where documents.removeValue(forKey: id) != nil {
            lexical.remove(id: id)
            dense?.remove(id: id)
            removed += 1
        }
        if removed > 0 { manifest.updatedAt = date }
        return removed
    }

    /// A document from one input record (a JSON object), by the manifest's fields: the id (a string or a number), the
    /// text fields that are present joined by spaces, the metadata fields that are present and typed.
    public func document(from record: [String: JSONValue], line: Int? = nil) throws -> RetrievalDocument {
        let place = line.map { " on line \($0)" } ?? ""
        guard let id = RetrievalDocument.id(record[manifest.idField]) else {
            throw RetrievalError.badInput("record\(place) has no \"\(manifest.idField)\" (a string or a whole number): set --id-field")
        }
        let text = manifest.textFields.compactMap { field -> String? in
            if case .string(let value)? = record[field] { return value }
            return nil
        }.joined(separator: " ")
        guard !text.isEmpty else {
            throw RetrievalError.badInput("record\(place) (id \(id)) has none of the text fields \(manifest.textFields.joined(separator: ", ")): set --text-fields")
        }
        var metadata: [String: MetadataValue] = [:]
        for field in manifest.metadataFields {
            if let value = record[field].flatMap(MetadataValue.from(json:)) { metadata[field] = value }
        }
        return RetrievalDocument(id: id, text: text, metadata: metadata)
    }

    /// The documents of one input record: the record whole, or its chunks when the collection chunks.
    /// - Parameter count: how chunk budgets count tokens (whitespace words by default).
    public func documents(from record: [String: JSONValue], line: Int? = nil,
                          count: @escaping @Sendable (String) -> Int = Chunker.words) throws -> [RetrievalDocument] {
        let whole = try document(from: record, line: line)
        guard let chunking = manifest.chunking else { return [whole] }
        let chunker = Chunker(maximumTokens: chunking.tokens, overlap: chunking.overlap, count: count)
        return chunker.chunks(whole.text).map { chunk in
            var metadata = whole.metadata
            metadata["parent"] = .string(whole.id)
            metadata["chunk"] = .number(Double(chunk.number))
            if let page = chunk.page { metadata["page"] = .number(Double(page)) }
            if let heading = chunk.heading { metadata["heading"] = .string(heading) }
            return RetrievalDocument(id: "\(whole.id)#\(chunk.number)", text: chunk.text, metadata: metadata)
        }
    }

    /// The ids stored for input records `ids`: their chunks when the collection chunks, else themselves.
    public func storedIDs(ofRecords ids: [String]) -> [String] {
        guard manifest.chunking != nil else { return ids }
        let wanted = Set(ids)
        return documents.values.compactMap { document in
            if case .string(let parent)? = document.metadata["parent"], wanted.contains(parent) { return document.id }
            return nil
        }
    }

    public func search(_ query: RetrievalQuery) async throws -> [RetrievalHit] {
        try searchNow(query)
    }

    /// Searches, embedding the query with `embedder` first when the mode needs a vector and the query has none.
    public func search(_ query: RetrievalQuery, embedder: (any EmbeddingModel)?) async throws -> [RetrievalHit] {
        var query = query
        if query.mode != .lexical, query.vector == nil {
            guard let embedder else {
                throw RetrievalError.unavailable("\(query.mode.rawValue) search needs an embedding model for the query (run scripts/setup-embeddings)")
            }
            guard embedder.name == manifest.embedding else {
                throw RetrievalError.badInput("collection \(manifest.name) holds \(manifest.embedding ?? "no") embeddings; the query would be embedded by \(embedder.name)")
            }
            query.vector = try await embedder.embed([query.text]).first
        }
        return try searchNow(query)
    }

    /// The search, synchronously (the CLI's batch of queries calls it in a loop).
    public func searchNow(_ query: RetrievalQuery) throws -> [RetrievalHit] {
        guard query.top >= 1 else { throw RetrievalError.badInput("top must be at least 1") }
        let filter = query.filter
        let documents = documents
        let allowed: ((String) -> Bool)? = filter.map { filter in { id in documents[id].map { filter.matches($0.metadata) } ?? false } }
        let ranked: [(id: String, score: Double)]
        switch query.mode {
        case .lexical:
            ranked = lexical.search(query.text, top: query.top, allowed: allowed)
        case .dense, .hybrid:
            guard let dense else {
                throw RetrievalError.unavailable(
                    "\(query.mode.rawValue) search needs embeddings, and collection \(manifest.name) has none: create it with --dense (centaur index create … --dense)")
            }
            guard let vector = query.vector, vector.count == dense.dimensions else {
                throw RetrievalError.badInput("\(query.mode.rawValue) search needs the query's \(dense.dimensions)-dimensional vector")
            }
            if query.mode == .dense {
                ranked = dense.search(vector, top: query.top, allowed: allowed, method: query.denseMethod)
            } else {
                let fusion = query.fusion ?? manifest.fusion
                let depth = max(query.top, fusion.depth)
                let lists = [lexical.search(query.text, top: depth, allowed: allowed), dense.search(vector, top: depth, allowed: allowed, method: query.denseMethod)]
                let weights = [fusion.lexicalWeight, fusion.denseWeight]
                switch fusion.method {
                case .weighted: ranked = Array(RankFusion.weighted(lists, weights: weights).prefix(query.top))
                case .rrf: ranked = Array(RankFusion.reciprocal(lists.map { $0.map(\.id) }, weights: weights, k: fusion.k).prefix(query.top))
                }
            }
        }
        return ranked.enumerated().map { index, hit in
            let document = documents[hit.id]
            return RetrievalHit(id: hit.id, rank: index + 1, score: hit.score, text: document?.text ?? "", metadata: document?.metadata ?? [:])
        }
    }
}
