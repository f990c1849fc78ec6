import Foundation

/// Retrieval indexes kept in the shared database, so every replica of `centaur serve` searches what any of them (or
/// `centaur index` against that database) last wrote: each index a name and its bytes, written whole, with a
/// generation that grows by one on every write (a reader holding generation N holds the current bytes while the
/// stored generation is N).
public protocol RetrievalIndexStore: Sendable {
    /// The names stored, sorted.
    func retrievalIndexNames() async throws -> [String]
    /// The bytes of `name` and their generation; nil when there is none.
    func retrievalIndex(_ name: String) async throws -> (data: Data, generation: Int64)?
    /// The generation of `name`, without its bytes; nil when there is none.
    func retrievalIndexGeneration(_ name: String) async throws -> Int64?
    /// Stores the bytes of `name` whole (replacing any), returning the new generation.
    @discardableResult
    func saveRetrievalIndex(_ name: String, data: Data) async throws -> Int64
    /// Removes `name`; false when there was none.
    func deleteRetrievalIndex(_ name: String) async throws -> Bool
}
