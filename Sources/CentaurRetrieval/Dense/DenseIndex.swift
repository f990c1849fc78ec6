import COpenBLAS
import Foundation

/// How a dense search finds its rows.
public enum DenseSearchMethod: String, Sendable, Hashable, CaseIterable {
    /// Exact below ``DenseIndex/approximateAbove`` rows or under a selective filter; the graph above.
    case automatic
    /// Every allowed row scored.
    case exact
    /// The HNSW graph whenever it exists (``DenseIndex/buildGraph()`` makes one for a small index).
    case approximate
}

/// Nearest-neighbour search over unit vectors (cosine = dot product), kept as one row-major matrix so an exact search
/// is one matrix-vector product through OpenBLAS, then a bounded heap for the top k.
///
/// Filters go first when they are selective: below `filterFirstBelow` of the rows allowed, only the allowed rows are
/// scored, exactly. Above it, an index with an HNSW graph (``HNSWGraph``; a server builds one for an index of more than
/// `approximateAbove` rows, ``buildGraphIfLarge()``) walks the graph and keeps the allowed rows it meets; when the walk finds fewer than k allowed rows though k match, the search is
/// done again exactly, so whenever at least k rows match a filter, k are returned. Documents are added, replaced and
/// removed without a rebuild, by the same slot scheme as ``LexicalIndex`` (retired slots compacted away once they
/// pass a quarter); the graph takes each new row as it comes and is rebuilt only with a compaction.
public struct DenseIndex: Sendable {
    public let dimensions: Int
    /// The share of allowed rows under which a filtered search scores only those rows.
    public var filterFirstBelow = 0.2
    /// The row count above which ``buildGraphIfLarge()`` builds an HNSW graph.
    public let approximateAbove: Int
    /// How many candidates a graph search keeps (the `ef` of the paper): more is slower and closer to exact.
    public var efSearch = 128
    private(set) var graph: HNSWGraph?
    private(set) var ids: [String] = []
    private var matrix: [Float] = []
    private var live: [Bool] = []
    private var slots: [String: Int] = [:]

    public init(dimensions: Int, approximateAbove: Int = 20_000) {
        self.dimensions = dimensions
        self.approximateAbove = approximateAbove
    }

    /// Whether searches can walk a graph.
    public var hasGraph: Bool { graph != nil }

    public var count: Int { slots.count }
    public var retiredSlots: Int { ids.count - slots.count }
    public func contains(_ id: String) -> Bool { slots[id] != nil }

    /// The stored vector of a document.
    public func vector(of id: String) -> [Float]? {
        slots[id].map { Array(matrix[($0 * dimensions)..<(($0 + 1) * dimensions)]) }
    }

    /// Adds or replaces a document's vector (normalized to unit length here, unless it is a stored one already).
    public mutating func upsert(id: String, vector: [Float], normalized: Bool = false) {
        precondition(vector.count == dimensions, "a \(vector.count)-dimensional vector in a \(dimensions)-dimensional index")
        if let slot = slots.removeValue(forKey: id) { live[slot] = false }
        let norm = normalized ? 1 : max(vector.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        slots[id] = ids.count
        ids.append(id)
        live.append(true)
        matrix.append(contentsOf: vector.map { $0 / norm })
        if !compactIfWorthIt(), graph != nil { insertIntoGraph(ids.count - 1) }
    }

    /// Builds the graph when the index has more than `approximateAbove` rows and none yet (a server does, once, when it
    /// loads a collection; a one-shot command searches exactly rather than pay for a graph it uses once).
    public mutating func buildGraphIfLarge() {
        if graph == nil, slots.count > approximateAbove { buildGraph() }
    }

    /// Builds the HNSW graph over every slot now; from then on each new row joins it as it comes.
    public mutating func buildGraph() {
        graph = HNSWGraph()
        for slot in 0..<ids.count { insertIntoGraph(slot) }
    }

    private mutating func insertIntoGraph(_ slot: Int) {
        let d = dimensions
        matrix.withUnsafeBufferPointer { m in graph?.insert(slot, matrix: m, dimensions: d) }
    }

    @discardableResult
    public mutating func remove(id: String) -> Bool {
        guard let slot = slots.removeValue(forKey: id) else { return false }
        live[slot] = false
        compactIfWorthIt()
        return true
    }

    /// Compacts when retired slots pass a quarter (and rebuilds the graph, whose nodes are slots); true when it did.
    @discardableResult
    mutating func compactIfWorthIt() -> Bool {
        guard retiredSlots > max(64, slots.count / 4) else { return false }
        var newIDs: [String] = [], newMatrix: [Float] = []
        newIDs.reserveCapacity(slots.count); newMatrix.reserveCapacity(slots.count * dimensions)
        for slot in 0..<ids.count where live[slot] {
            newIDs.append(ids[slot])
            newMatrix.append(contentsOf: matrix[(slot * dimensions)..<((slot + 1) * dimensions)])
        }
        ids = newIDs
        matrix = newMatrix
        live = [Bool](repeating: true, count: ids.count)
        slots = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($0.element, $0.offset) })
        if graph != nil { buildGraph() }
        return true
    }

    /// The `top` rows most similar to `query` that `allowed` accepts (all when nil), most similar first.
    public func search(
        _ query: [Float], top: Int, allowed: ((String) -> Bool)? = nil, method: DenseSearchMethod = .automatic
    ) -> [(id: String, score: Double)] {
        precondition(query.count == dimensions, "a \(query.count)-dimensional query in a \(dimensions)-dimensional index")
        guard top > 0, !slots.isEmpty else { return [] }
        let norm = max(query.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        let q = query.map { $0 / norm }
        var heap = TopK(capacity: top)
        let d = dimensions
        let candidates = allowed.map { allowed in (0..<ids.count).filter { live[$0] && allowed(ids[$0]) } }
        let selective = candidates.map { Double($0.count) < filterFirstBelow * Double(slots.count) } ?? false
        if let graph, method != .exact, !selective {
            let wanted = min(top, candidates?.count ?? slots.count)
            // A filter keeping a share f of the rows needs about 1/f times the candidates to meet k of them.
            let share = candidates.map { Double(max($0.count, 1)) / Double(slots.count) } ?? 1
            let ef = min(ids.count, Int(Double(max(efSearch, top)) / share))
            let found = matrix.withUnsafeBufferPointer { m in
                q.withUnsafeBufferPointer { q in graph.search(q.baseAddress!, ef: ef, matrix: m, d: d) }
            }
            var kept: [(id: String, score: Double)] = []
            for (score, node) in found where live[Int(node)] && (allowed?(ids[Int(node)]) ?? true) {
                kept.append((ids[Int(node)], Double(score)))
                if kept.count == top { break }
            }
            if kept.count >= wanted { return kept }
        }
        if let candidates {
            if selective {
                matrix.withUnsafeBufferPointer { m in
                    q.withUnsafeBufferPointer { q in
                        for slot in candidates {
                            let score = cblas_sdot(Int32(d), m.baseAddress! + slot * d, 1, q.baseAddress!, 1)
                            if heap.admits(score) { heap.insert(score: score, slot: Int32(slot)) }
                        }
                    }
                }
                return heap.sorted().map { (ids[Int($0.slot)], Double($0.score)) }
            }
            let scores = scoreAll(q)
            for slot in candidates where heap.admits(scores[slot]) { heap.insert(score: scores[slot], slot: Int32(slot)) }
            return heap.sorted().map { (ids[Int($0.slot)], Double($0.score)) }
        }
        let scores = scoreAll(q)
        for slot in 0..<ids.count where live[slot] && heap.admits(scores[slot]) { heap.insert(score: scores[slot], slot: Int32(slot)) }
        return heap.sorted().map { (ids[Int($0.slot)], Double($0.score)) }
    }

    /// Every row's dot product with `q`: one `sgemv`.
    private func scoreAll(_ q: [Float]) -> [Float] {
        var scores = [Float](repeating: 0, count: ids.count)
        matrix.withUnsafeBufferPointer { m in
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(ids.count), Int32(dimensions), 1, m.baseAddress!, Int32(dimensions), q, 1, 0, &scores, 1)
        }
        return scores
    }
}

/// Fusing ranked lists.
public enum RankFusion {
    /// Weighted score fusion: each list's scores scaled to 0…1 (min–max within the list; a list of one scores 1), then
    /// `Σ weight · scaled`; best first. Unlike rank fusion it keeps how far apart a list's scores are.
    public static func weighted(_ lists: [[(id: String, score: Double)]], weights: [Double]) -> [(id: String, score: Double)] {
        var scores: [String: Double] = [:]
        for (index, list) in lists.enumerated() where !list.isEmpty {
            let weight = index < weights.count ? weights[index] : 1
            let high = list.map(\.score).max()!, low = list.map(\.score).min()!
            for hit in list { scores[hit.id, default: 0] += weight * (high > low ? (hit.score - low) / (high - low) : 1) }
        }
        return scores.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    /// Reciprocal rank fusion: each list gives a document `weight / (k + rank)`; summed, best first.
    public static func reciprocal(_ lists: [[String]], weights: [Double]? = nil, k: Double = 60) -> [(id: String, score: Double)] {
        var scores: [String: Double] = [:]
        for (index, list) in lists.enumerated() {
            let weight = weights?[index] ?? 1
            for (rank, id) in list.enumerated() { scores[id, default: 0] += weight / (k + Double(rank + 1)) }
        }
        return scores.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }
}
