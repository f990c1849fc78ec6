import CentaurCore
import Foundation

/// The matching example's search: hard filters first (distance, each other's age range, each other's gender sought),
/// then hybrid retrieval of the profiles whose answers about books, TV, films and music read most alike.
public struct Matcher: Sendable {
    public let collection: RetrievalCollection
    public let embedder: (any EmbeddingModel)?

    public init(collection: RetrievalCollection, embedder: (any EmbeddingModel)?) {
        self.collection = collection
        self.embedder = embedder
    }

    public struct Request: Sendable, Hashable {
        public var profile: String
        public var withinKilometres: Double
        public var candidates: Int
        public init(profile: String, withinKilometres: Double = 25, candidates: Int = 20) {
            self.profile = profile; self.withinKilometres = withinKilometres; self.candidates = candidates
        }
    }

    /// The profile called `id`.
    public func profile(_ id: String) throws -> RetrievalDocument {
        guard let document = collection.documents[id] else { throw RetrievalError.notFound("no profile \(id) in index \(collection.manifest.name)") }
        return document
    }

    /// The hard filters for `profile`, in the filter language: within the distance; the other's age in my range and
    /// mine in theirs; the other's gender the one I seek, and mine the one they seek.
    public static func hardFilter(for profile: RetrievalDocument, withinKilometres: Double) throws -> RetrievalFilter {
        let m = profile.metadata
        guard case .geo(let place)? = m["place"], case .number(let age)? = m["age"], case .number(let low)? = m["age_min"],
              case .number(let high)? = m["age_max"], case .string(let gender)? = m["gender"], case .string(let seeking)? = m["seeking"] else {
            let fields = ProfileGenerator.metadataFields.joined(separator: ",")
            throw RetrievalError.badInput(
                "profile \(profile.id) lacks place, age, age_min, age_max, gender or seeking (index it with --metadata-fields \(fields))")
        }
        return .all([
            .within("place", center: place, kilometres: withinKilometres),
            .range("age", lower: .init(.number(low), inclusive: true), upper: .init(.number(high), inclusive: true)),
            .range("age_min", lower: nil, upper: .init(.number(age), inclusive: true)),
            .range("age_max", lower: .init(.number(age), inclusive: true), upper: nil),
            .equals("gender", .string(seeking)),
            .equals("seeks_\(gender)", .string("yes")),
        ])
    }

    /// The same conditions in plain code, for checking the filter path against (``exhaustive(_:)``).
    static func compatible(_ me: RetrievalDocument, _ other: RetrievalDocument, withinKilometres: Double) -> Bool {
        guard me.id != other.id, case .geo(let a)? = me.metadata["place"], case .geo(let b)? = other.metadata["place"],
              case .number(let myAge)? = me.metadata["age"], case .number(let theirAge)? = other.metadata["age"],
              case .number(let myLow)? = me.metadata["age_min"], case .number(let myHigh)? = me.metadata["age_max"],
              case .number(let theirLow)? = other.metadata["age_min"], case .number(let theirHigh)? = other.metadata["age_max"],
              case .string(let myGender)? = me.metadata["gender"], case .string(let mySeeking)? = me.metadata["seeking"],
              case .string(let theirGender)? = other.metadata["gender"], case .string(let theirSeeking)? = other.metadata["seeking"] else { return false }
        return a.kilometres(to: b) <= withinKilometres && (myLow...myHigh).contains(theirAge) && (theirLow...theirHigh).contains(myAge)
            && theirGender == mySeeking && theirSeeking == myGender
    }

    var mode: RetrievalMode { collection.dense == nil ? .lexical : .hybrid }

    /// The query for `profile`'s answer under `filter`, fused over `depth` of each list.
    func query(_ me: RetrievalDocument, filter: RetrievalFilter?, top: Int, depth: Int) async throws -> RetrievalQuery {
        var query = RetrievalQuery(text: me.text, top: top, mode: mode, filter: filter)
        var fusion = collection.manifest.fusion
        fusion.depth = max(fusion.depth, depth)
        query.fusion = fusion
        if mode == .hybrid {
            // The profile's own stored vector: the same text embeds to the same vector.
            if let stored = collection.dense?.vector(of: me.id) {
                query.vector = stored
            } else {
                guard let embedder else { throw RetrievalError.unavailable("hybrid matching needs the embedding model (run scripts/setup-embeddings)") }
                query.vector = try await embedder.embed([me.text]).first
            }
        }
        return query
    }

    /// Up to `request.candidates` profiles that pass the hard filters, most alike first. The filter is applied first
    /// and the fusion reads every profile that passes it, so the candidates are the exhaustive ones.
    public func candidates(_ request: Request) async throws -> [RetrievalHit] {
        let me = try profile(request.profile)
        let filter = try Self.hardFilter(for: me, withinKilometres: request.withinKilometres)
        let passing = collection.documents.values.reduce(0) { $0 + (filter.matches($1.metadata) ? 1 : 0) }
        let query = try await query(me, filter: filter, top: request.candidates + 1, depth: passing)
        return Array(try collection.searchNow(query).filter { $0.id != me.id }.prefix(request.candidates).enumerated().map { index, hit in
            var hit = hit
            hit.rank = index + 1
            return hit
        })
    }

    /// The reference: every profile checked with plain code (haversine, ages, genders), all of them scored by the same
    /// fusion, the best `request.candidates` ids.
    public func exhaustive(_ request: Request) async throws -> [String] {
        let me = try profile(request.profile)
        let compatible = Set(collection.documents.values.filter { Self.compatible(me, $0, withinKilometres: request.withinKilometres) }.map(\.id))
        guard !compatible.isEmpty else { return [] }
        var query = try await query(me, filter: nil, top: collection.count, depth: collection.count)
        query.filter = nil
        // Scores over exactly the compatible set: the lists are cut to it before fusing, as a filter-first search does.
        let lexical = collection.lexical.search(me.text, top: collection.count, allowed: { compatible.contains($0) })
        var lists = [lexical]
        var weights = [query.fusion?.lexicalWeight ?? 0.5]
        if mode == .hybrid, let dense = collection.dense, let vector = query.vector {
            lists.append(dense.search(vector, top: collection.count, allowed: { compatible.contains($0) }))
            weights.append(query.fusion?.denseWeight ?? 0.5)
        }
        let fused = mode == .hybrid
            ? ((query.fusion?.method ?? .weighted) == .weighted ? RankFusion.weighted(lists, weights: weights)
                : RankFusion.reciprocal(lists.map { $0.map(\.id) }, weights: weights, k: query.fusion?.k ?? 60))
            : lexical
        return Array(fused.map(\.id).prefix(request.candidates))
    }
}
