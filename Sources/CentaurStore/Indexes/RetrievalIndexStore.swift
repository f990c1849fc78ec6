import Foundation

/// Retrieval indexes kept in the shared database, so every replica of `centaur serve` searches what any of them (or
/// `centaur index` against that database) last wrote: each index a name and its bytes, written whole, with a
/// generation drawn afresh on every write, never handed out twice for one name, even after a drop and a create (a reader
/// holding generation N holds the current bytes while the stored generation is N).
public protocol RetrievalIndexStore: Sendable {
    /// The names stored, sorted.
    func retrievalIndexNames() async throws -> [String]
    /// The bytes of `name` and their generation; nil when there is none.
    func retrievalIndex(_ name: String) async throws -> (data: Data, generation: Int64)?
    /// The generation of `name`, without its bytes; nil when there is none.
    func retrievalIndexGeneration(_ name: String) async throws -> Int64?
    /// Stores the bytes of `name` whole when the stored row matches `expected`, in one step, returning the new
    /// generation; nil (and nothing written) when it does not match.
    func saveRetrievalIndex(_ name: String, data: Data, if expected: RetrievalIndexExpectation) async throws -> Int64?
    /// Removes `name`; false when there was none.
    func deleteRetrievalIndex(_ name: String) async throws -> Bool
}

/// What a conditional write of an index expects to find stored.
public enum RetrievalIndexExpectation: Sendable, Equatable {
    /// Anything or nothing.
    case any
    /// No index of that name.
    case absent
    /// The index at this generation.
    case generation(Int64)
}

extension RetrievalIndexStore {
    /// Stores the bytes of `name` whole, replacing any, returning the new generation.
    @discardableResult
    public func saveRetrievalIndex(_ name: String, data: Data) async throws -> Int64 {
        guard let generation = try await saveRetrievalIndex(name, data: data, if: .any) else {
            throw StoreError("index \(name) was not written")
        }
        return generation
    }
}
