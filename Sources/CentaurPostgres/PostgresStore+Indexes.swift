import CentaurStore
import Foundation
import PostgresNIO

/// Retrieval indexes in `retrieval_index` (name, generation, bytes): a write replaces the row in one statement, so a
/// reader on any replica sees the old bytes or the new; the generation tells a replica's catalog to load again.
extension PostgresStore: RetrievalIndexStore {
    public func retrievalIndexNames() async throws -> [String] {
        try await bounded { [self] in
            var names: [String] = []
            for try await name in try await client.query("SELECT name FROM retrieval_index ORDER BY name", logger: logger).decode(String.self) {
                names.append(name)
            }
            return names
        }
    }

    public func retrievalIndex(_ name: String) async throws -> (data: Data, generation: Int64)? {
        try await ready()
        // Not bounded by the request-path limit: a large index is megabytes.
        let rows = try await client.query("SELECT data, generation FROM retrieval_index WHERE name = \(name)", logger: logger)
        for try await (data, generation) in rows.decode((Data, Int64).self) { return (data, generation) }
        return nil
    }

    public func retrievalIndexGeneration(_ name: String) async throws -> Int64? {
        try await bounded { [self] in
            let rows = try await client.query("SELECT generation FROM retrieval_index WHERE name = \(name)", logger: logger)
            for try await generation in rows.decode(Int64.self) { return generation }
            return nil
        }
    }

    @discardableResult
    public func saveRetrievalIndex(_ name: String, data: Data) async throws -> Int64 {
        try await ready()
        let rows = try await client.query("""
            INSERT INTO retrieval_index (name, generation, data, size, updated_at) VALUES (\(name), 1, \(data), \(data.count), \(Self.seconds(Date())))
            ON CONFLICT (name) DO UPDATE SET generation = retrieval_index.generation + 1, data = EXCLUDED.data, size = EXCLUDED.size,
                updated_at = EXCLUDED.updated_at
            RETURNING generation
            """, logger: logger)
        for try await generation in rows.decode(Int64.self) { return generation }
        throw StoreError("PostgreSQL (schema \(schema)) returned no generation for index \(name)")
    }

    public func deleteRetrievalIndex(_ name: String) async throws -> Bool {
        try await bounded { [self] in
            try await execute("DELETE FROM retrieval_index WHERE name = \(name) RETURNING name") > 0
        }
    }
}
