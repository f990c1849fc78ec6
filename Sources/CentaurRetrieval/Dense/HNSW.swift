import CentaurCore
import COpenBLAS
import Foundation

/// A hierarchical navigable small-world graph (Malkov & Yashunin) over a ``DenseIndex``'s rows, for approximate
/// nearest-neighbour search when exact scoring of every row costs too much. Nodes are the index's slots; similarity is
/// the dot product of unit vectors. Retired slots stay in the graph as waypoints and are never returned.
struct HNSWGraph: Sendable {
    /// Links per node above layer 0, and twice that at layer 0.
    let m: Int
    let efConstruction: Int
    private(set) var links: [[[Int32]]] = []   // links[slot][layer]
    private(set) var entry: Int32 = -1
    private(set) var topLayer = -1
    private var random: SplitMix64

    init(m: Int = 16, efConstruction: Int = 100, seed: UInt64 = 0x5eed) {
        self.m = m
        self.efConstruction = efConstruction
        self.random = SplitMix64(seed: seed)
    }

    var count: Int { links.count }

    /// Adds `slot` (the next slot: slots are added in order).
    mutating func insert(_ slot: Int, matrix: UnsafeBufferPointer<Float>, dimensions d: Int) {
        precondition(slot == links.count, "HNSW slots are added in order")
        // Layer: floor(-ln(U) · mL), mL = 1 / ln(m).
        let u = max(Double(random.next() >> 11) / Double(1 << 53), 1e-12)
        let layer = min(Int(-log(u) / log(Double(m))), 16)
        links.append([[Int32]](repeating: [], count: layer + 1))
        guard entry >= 0 else {
            entry = Int32(slot)
            topLayer = layer
            return
        }
        let q = matrix.baseAddress! + slot * d
        var nearest = entry
        var nearestScore = dot(q, Int(entry), matrix, d)
        if topLayer > layer {
            for level in stride(from: topLayer, to: layer, by: -1) {
                (nearest, nearestScore) = greedy(q, from: nearest, score: nearestScore, layer: level, matrix: matrix, d: d)
            }
        }
        var entries = [(score: nearestScore, node: nearest)]
        for level in stride(from: min(layer, topLayer), through: 0, by: -1) {
            let found = searchLayer(q, entries: entries, ef: efConstruction, layer: level, matrix: matrix, d: d, visited: nil)
            let limit = level == 0 ? 2 * m : m
            let chosen = select(found, limit: limit, matrix: matrix, d: d)
            links[slot][level] = chosen.map(\.node)
            for neighbour in chosen {
                let n = Int(neighbour.node)
                links[n][level].append(Int32(slot))
                if links[n][level].count > limit {
                    let base = matrix.baseAddress! + n * d
                    let scored = links[n][level].map { (score: dot(base, Int($0), matrix, d), node: $0) }.sorted { $0.score > $1.score }
                    links[n][level] = select(scored, limit: limit, matrix: matrix, d: d).map(\.node)
                }
            }
            entries = found
        }
        if layer > topLayer {
            topLayer = layer
            entry = Int32(slot)
        }
    }

    /// The heuristic of the paper (algorithm 4, keeping pruned ones to fill): a candidate is linked when it is closer to
    /// the new node than to every neighbour already chosen, which keeps links spread in all directions.
    func select(_ candidates: [(score: Float, node: Int32)], limit: Int, matrix: UnsafeBufferPointer<Float>, d: Int) -> [(score: Float, node: Int32)] {
        guard candidates.count > limit else { return candidates }
        var chosen: [(score: Float, node: Int32)] = []
        var pruned: [(score: Float, node: Int32)] = []
        for candidate in candidates {
            if chosen.count >= limit { break }
            let base = matrix.baseAddress! + Int(candidate.node) * d
            if chosen.allSatisfy({ dot(base, Int($0.node), matrix, d) < candidate.score }) { chosen.append(candidate) } else { pruned.append(candidate) }
        }
        for candidate in pruned where chosen.count < limit { chosen.append(candidate) }
        return chosen
    }

    func dot(_ q: UnsafePointer<Float>, _ node: Int, _ matrix: UnsafeBufferPointer<Float>, _ d: Int) -> Float {
        cblas_sdot(Int32(d), q, 1, matrix.baseAddress! + node * d, 1)
    }

    func greedy(_ q: UnsafePointer<Float>, from start: Int32, score: Float, layer: Int, matrix: UnsafeBufferPointer<Float>, d: Int) -> (Int32, Float) {
        var current = start, best = score
        var improved = true
        while improved {
            improved = false
            for neighbour in links[Int(current)][layer] {
                let s = dot(q, Int(neighbour), matrix, d)
                if s > best { best = s; current = neighbour; improved = true }
            }
        }
        return (current, best)
    }

    /// The `ef` nodes nearest `q` reachable in `layer` from `entries`, best first.
    func searchLayer(_ q: UnsafePointer<Float>, entries: [(score: Float, node: Int32)], ef: Int, layer: Int,
                     matrix: UnsafeBufferPointer<Float>, d: Int, visited: UnsafeMutableBufferPointer<UInt32>?, stamp: UInt32 = 0) -> [(score: Float, node: Int32)] {
        var seen: Set<Int32> = []
        func visit(_ node: Int32) -> Bool {
            if let visited {
                if visited[Int(node)] == stamp { return false }
                visited[Int(node)] = stamp
                return true
            }
            return seen.insert(node).inserted
        }
        var candidates = MaxHeap()
        var results = TopK(capacity: ef)
        for entry in entries where visit(entry.node) {
            candidates.push(entry.score, entry.node)
            results.insert(score: entry.score, slot: entry.node)
        }
        while let (score, node) = candidates.pop() {
            if results.isFull, let worst = results.worst, score < worst { break }
            for neighbour in links[Int(node)][layer] where visit(neighbour) {
                let s = dot(q, Int(neighbour), matrix, d)
                if results.admits(s) {
                    candidates.push(s, neighbour)
                    results.insert(score: s, slot: neighbour)
                }
            }
        }
        return results.sorted().map { ($0.score, $0.slot) }
    }

    /// Approximate search: the `ef` best nodes at layer 0 (retired or not), best first.
    func search(_ q: UnsafePointer<Float>, ef: Int, matrix: UnsafeBufferPointer<Float>, d: Int) -> [(score: Float, node: Int32)] {
        guard entry >= 0 else { return [] }
        var nearest = entry
        var score = dot(q, Int(entry), matrix, d)
        if topLayer > 0 {
            for level in stride(from: topLayer, to: 0, by: -1) { (nearest, score) = greedy(q, from: nearest, score: score, layer: level, matrix: matrix, d: d) }
        }
        let visited = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: links.count)
        visited.initialize(repeating: 0)
        defer { visited.deallocate() }
        return searchLayer(q, entries: [(score, nearest)], ef: ef, layer: 0, matrix: matrix, d: d, visited: visited, stamp: 1)
    }
}

/// A binary max-heap of (score, node): the candidate queue of a layer search.
struct MaxHeap {
    private var items: [(score: Float, node: Int32)] = []
    mutating func push(_ score: Float, _ node: Int32) {
        items.append((score, node))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].score > items[parent].score else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }
    mutating func pop() -> (Float, Int32)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var largest = parent
                if left < items.count && items[left].score > items[largest].score { largest = left }
                if right < items.count && items[right].score > items[largest].score { largest = right }
                guard largest != parent else { break }
                items.swapAt(parent, largest)
                parent = largest
            }
        }
        return (top.score, top.node)
    }
}
