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
    public var createdAt: Date
    public var updatedAt: Date

    public init(name: String, idField: String = "_id", textFields: [String] = ["title", "text"], metadataFields: [String] = [],
                bm25: LexicalIndex.Parameters = .init(), createdAt: Date = Date()) {
        self.name = name; self.idField = idField; self.textFields = textFields; self.metadataFields = metadataFields
        self.analyzer = "english"; self.bm25 = bm25; self.createdAt = createdAt; self.updatedAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case name, analyzer, bm25
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
    public init(text: String, top: Int = 10, mode: RetrievalMode = .lexical, filter: RetrievalFilter? = nil) {
        self.text = text; self.top = top; self.mode = mode; self.filter = filter
    }
}

/// One result: the document and its score under the query's mode (higher is better), rank 1 first.
public struct RetrievalHit: Sendable, Hashable, Codable {
    public var id: String
    public var rank: Int
    public var score: Double
    public var text: String
    public var metadata: [String: MetadataValue]
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

    public init(manifest: CollectionManifest) {
        self.manifest = manifest
        lexical = LexicalIndex(analyzer: .english, parameters: manifest.bm25)
    }

    public var count: Int { documents.count }

    /// Adds documents, replacing those whose ids are already here; no rebuild.
    public mutating func upsert(_ batch: [RetrievalDocument], at date: Date = Date()) {
        for document in batch {
            documents[document.id] = document
            lexical.upsert(id: document.id, text: document.text)
        }
        manifest.updatedAt = date
    }

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
            removed += 1
        }
        if removed > 0 { manifest.updatedAt = date }
        return removed
    }

    /// A document from one input record (a JSON object), by the manifest's fields: the id (a string or a number), the
    /// text fields that are present joined by spaces, the metadata fields that are present and typed.
    public func document(from record: [String: JSONValue], line: Int? = nil) throws -> RetrievalDocument {
        let place = line.map { " on line \($0)" } ?? ""
        let id: String
        switch record[manifest.idField] {
        case .string(let text)? where !text.isEmpty: id = text
        case .number(let number)? where number == number.rounded(): id = String(Int64(number))
        default: throw RetrievalError.badInput("record\(place) has no \"\(manifest.idField)\" (a string or a whole number): set --id-field")
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

    public func search(_ query: RetrievalQuery) async throws -> [RetrievalHit] {
        try searchNow(query)
    }

    /// The search, synchronously (the CLI's batch of queries calls it in a loop).
    public func searchNow(_ query: RetrievalQuery) throws -> [RetrievalHit] {
        guard query.top >= 1 else { throw RetrievalError.badInput("top must be at least 1") }
        switch query.mode {
        case .lexical:
            let filter = query.filter
            let documents = documents
            let allowed: ((String) -> Bool)? = filter.map { filter in { id in documents[id].map { filter.matches($0.metadata) } ?? false } }
            return lexical.search(query.text, top: query.top, allowed: allowed).enumerated().map { index, hit in
                let document = documents[hit.id]
                return RetrievalHit(id: hit.id, rank: index + 1, score: hit.score, text: document?.text ?? "", metadata: document?.metadata ?? [:])
            }
        case .dense, .hybrid:
            throw RetrievalError.unavailable(
                "\(query.mode.rawValue) search needs the embedding index, which Centaur does not build yet: use --mode lexical (BM25)")
        }
    }
}
