import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurRetrieval
import Foundation
import Hummingbird

/// `POST /api/retrieval/search`, `POST /api/rag/answer` and `GET /api/retrieval/collections` (gateway or admin keys):
/// search the indexes in the data directory (`centaur index create`), lexically, densely or both fused, with metadata
/// filters; answer a question from them with checked citations through the gateway pipeline, as the caller.
struct RetrievalEndpoints: Sendable {
    let catalog: IndexCatalog
    let maxBodyBytes: Int
    /// The pipeline RAG answers go through, and the model used when a request names none.
    let model: GatewayModel
    let defaultModel: String

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
        group.post("/api/rag/answer") { request, context in
            var request = request
            let data: Data
            do { data = Data(buffer: try await request.collectBody(upTo: min(maxBodyBytes, 1 << 20))) } catch {
                throw APIError(.payloadTooLarge, "a question is at most 1 MiB")
            }
            var fields = try Self.object(data)
            guard case .string(let question)? = fields.removeValue(forKey: "question"),
                  !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError.invalid("question", "required: the question to answer")
            }
            var modelName = defaultModel
            if let named = fields.removeValue(forKey: "model") {
                guard case .string(let name) = named, !name.isEmpty else { throw APIError.invalid("model", "expected a model or route name") }
                modelName = name
            }
            var budget = 1_500
            if let tokens = fields.removeValue(forKey: "context_tokens") {
                guard case .number(let n) = tokens, n == n.rounded(), (50...100_000).contains(n) else {
                    throw APIError.invalid("context_tokens", "expected a whole number from 50 to 100000")
                }
                budget = Int(n)
            }
            fields["query"] = .string(question)
            if fields["top"] == nil { fields["top"] = .number(8) }
            let search = try Self.parse(fields)
            let hits = try await Self.searching { () async throws -> [RetrievalHit] in
                let collection = try await catalog.collection(search.collection)
                var query = search.query
                if search.defaultMode { query.mode = collection.dense == nil ? .lexical : .hybrid }
                return try await catalog.search(search.collection, query)
            }
            var model = model
            model.caller = context.key.map { CallerIdentity(keyID: $0.id, keyName: $0.name, team: $0.team,
                                                            limits: Limits(rpm: $0.rpm, tpm: $0.tpm, monthlyUSD: $0.monthlyUSD)) }
            if let team = context.key?.team { model.tags["team"] = team }
            model.tags["collection"] = search.collection
            let answer = try await GroundedAnswerer(model: model, modelName: modelName, contextTokens: budget).answer(question, hits: hits)
            return try JSONResponse.json(encoding: answer)
        }
        group.post("/api/retrieval/search") { request, _ in
            var request = request
            let data: Data
            do { data = Data(buffer: try await request.collectBody(upTo: min(maxBodyBytes, 1 << 20))) } catch {
                throw APIError(.payloadTooLarge, "a search request is at most 1 MiB")
            }
            let search = try Self.parse(try Self.object(data))
            return try await Self.searching {
                let collection = try await catalog.collection(search.collection)
                var query = search.query
                if search.defaultMode { query.mode = collection.dense == nil ? .lexical : .hybrid }
                let hits = try await catalog.search(search.collection, query)
                return try JSONResponse.json(encoding: SearchResult(collection: search.collection, mode: query.mode.rawValue, hits: hits))
            }
        }
    }

    /// Runs `body`, turning retrieval's errors into API errors (an unknown index is a 404).
    static func searching<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RetrievalError {
            switch error {
            case .notFound(let message): throw APIError.missing(message)
            case .badFilter: throw APIError.invalid("filter", error.description)
            case .badInput: throw APIError(.invalidRequest, error.description)
            case .unavailable(let message): throw APIError(.invalidRequest, message)
            case .conflict(let message): throw APIError(.conflict, message)
            }
        }
    }

    /// The body as a JSON object.
    static func object(_ data: Data) throws -> [String: JSONValue] {
        let body: JSONValue
        do { body = try JSONValue(parsing: data) } catch { throw APIError(.invalidRequest, "the body is not JSON: \(error)") }
        guard case .object(let fields) = body else { throw APIError(.invalidRequest, "the body must be a JSON object") }
        return fields
    }

    struct SearchResult: Encodable {
        var collection: String
        var mode: String
        var hits: [RetrievalHit]
    }

    /// `{"collection", "query", "mode"?, "top"?, "filter"?}`; every field checked, with the path of the bad one.
    static func parse(_ fields: [String: JSONValue]) throws -> (collection: String, query: RetrievalQuery, defaultMode: Bool) {
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
