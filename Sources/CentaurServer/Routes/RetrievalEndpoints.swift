import CentaurCore
import CentaurRetrieval
import Foundation
import Hummingbird

/// `POST /api/retrieval/search` and `GET /api/retrieval/collections` (gateway or admin keys): search the indexes in the
/// data directory (`centaur index create`), lexically, densely or both fused, with metadata filters.
struct RetrievalEndpoints: Sendable {
    let catalog: IndexCatalog
    let maxBodyBytes: Int

    func register(on group: RouterGroup<CentaurRequestContext>) {
        group.get("/api/retrieval/collections") { _, _ in
            let names = try await catalog.names()
            var collections: [JSONValue] = []
            for name in names {
                guard let collection = try? await catalog.collection(name) else { continue }
                collections.append(.object([
                    "name": .string(name), "documents": .number(Double(collection.count)),
                    "modes": .array(collection.dense == nil ? ["lexical"] : ["lexical", "dense", "hybrid"]),
                    "metadata_fields": .array(collection.manifest.metadataFields.map(JSONValue.string)),
                ]))
            }
            return JSONResponse.json(["collections": .array(collections)])
        }
        group.post("/api/retrieval/search") { request, _ in
            var request = request
            let data: Data
            do { data = Data(buffer: try await request.collectBody(upTo: min(maxBodyBytes, 1 << 20))) } catch {
                throw APIError(.payloadTooLarge, "a search request is at most 1 MiB")
            }
            let search = try Self.parse(data)
            do {
                let collection = try await catalog.collection(search.collection)
                var query = search.query
                if search.defaultMode { query.mode = collection.dense == nil ? .lexical : .hybrid }
                let hits = try await catalog.search(search.collection, query)
                return try JSONResponse.json(encoding: SearchResult(collection: search.collection, mode: query.mode.rawValue, hits: hits))
            } catch let error as RetrievalError {
                switch error {
                case .notFound(let message): throw APIError.missing(message)
                case .badFilter: throw APIError.invalid("filter", error.description)
                case .badInput: throw APIError(.invalidRequest, error.description)
                case .unavailable(let message): throw APIError(.invalidRequest, message)
                }
            }
        }
    }

    struct SearchResult: Encodable {
        var collection: String
        var mode: String
        var hits: [RetrievalHit]
    }

    /// `{"collection", "query", "mode"?, "top"?, "filter"?}`; every field checked, with the path of the bad one.
    static func parse(_ data: Data) throws -> (collection: String, query: RetrievalQuery, defaultMode: Bool) {
        let body: JSONValue
        do { body = try JSONValue(parsing: data) } catch { throw APIError(.invalidRequest, "the body is not JSON: \(error)") }
        guard case .object(let fields) = body else { throw APIError(.invalidRequest, "the body must be a JSON object") }
        let known: Set<String> = ["collection", "query", "mode", "top", "filter"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.invalid(unknown, "unknown field (expected collection, query, mode, top, filter)")
        }
        guard case .string(let collection)? = fields["collection"], !collection.isEmpty else {
            throw APIError.invalid("collection", "required: the index's name")
        }
        guard case .string(let text)? = fields["query"], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.invalid("query", "required: the text to search for")
        }
        var query = RetrievalQuery(text: text, top: 10)
        var defaultMode = true
        if let mode = fields["mode"] {
            guard case .string(let name) = mode, let parsed = RetrievalMode(rawValue: name) else {
                throw APIError.invalid("mode", "expected lexical, dense or hybrid")
            }
            query.mode = parsed
            defaultMode = false
        }
        if let top = fields["top"] {
            guard case .number(let n) = top, n == n.rounded(), (1...1_000).contains(n) else {
                throw APIError.invalid("top", "expected a whole number from 1 to 1000")
            }
            query.top = Int(n)
        }
        if let filter = fields["filter"] {
            guard case .string(let expression) = filter else { throw APIError.invalid("filter", "expected a filter expression such as \"year>=2019\"") }
            do { query.filter = try RetrievalFilter.parse(expression) } catch { throw APIError.invalid("filter", "\(error)") }
        }
        return (collection, query, defaultMode)
    }
}
