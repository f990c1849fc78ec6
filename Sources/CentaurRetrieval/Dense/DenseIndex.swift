import COpenBLAS
import Foundation

/// Exact nearest-neighbour search over unit vectors (cosine = dot product), kept as one row-major matrix so a search
/// is one matrix-vector product through OpenBLAS, then a bounded heap for the top k.
///
/// Filters go first when they are selective: below `filterFirstBelow` of the rows allowed, only the allowed rows are
/// scored; above it, every row is scored and the disallowed skipped while choosing. Either way the search is exact, so
/// whenever at least k rows match a filter, k are returned. Documents are added, replaced and removed without a
/// rebuild, by the same slot scheme as ``LexicalIndex`` (retired slots compacted away once they pass a quarter).
public struct DenseIndex: Sendable {
    public let dimensions: Int
    /// The share of allowed rows under which a filtered search scores only those rows.
    public var filterFirstBelow = 0.2
    private(set) var ids: [String] = []
    private var matrix: [Float] = []
    private var live: [Bool] = []
    private var slots: [String: Int] = [:]

    public init(dimensions: Int) { self.dimensions = dimensions }

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
        compactIfWorthIt()
    }

    @discardableResult
    public mutating func remove(id: String) -> Bool {
        guard let slot = slots.removeValue(forKey: id) else { return false }
        live[slot] = false
        compactIfWorthIt()
        return true
    }

    mutating func compactIfWorthIt() {
        guard retiredSlots > max(64, slots.count / 4) else { return }
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
    }

    /// The `top` rows most similar to `query` that `allowed` accepts (all when nil), most similar first.
    public func search(_ query: [Float], top: Int, allowed: ((String) -> Bool)? = nil) -> [(id: String, score: Double)] {
        precondition(query.count == dimensions, "a \(query.count)-dimensional query in a \(dimensions)-dimensional index")
        guard top > 0, !slots.isEmpty else { return [] }
        let norm = max(query.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        let q = query.map { $0 / norm }
        var heap = TopK(capacity: top)
        let d = dimensions
        if let allowed {
            let candidates = (0..<ids.count).filter { live[$0] && allowed(ids[$0]) }
            if Double(candidates.count) < filterFirstBelow * Double(slots.count) {
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
