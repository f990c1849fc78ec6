import CentaurStore
import Foundation
import PostgresNIO

/// Retrieval indexes in `retrieval_index` (name, generation, bytes): a write replaces the row in one statement, so a
/// reader on any replica sees the old bytes or the new; the generation (from one sequence) tells a replica's catalog
/// to load again, and a conditional write compares it in the same statement.
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

    public func saveRetrievalIndex(_ name: String, data: Data, if expected: RetrievalIndexExpectation) async throws -> Int64? {
        try await ready()
        let now = Self.seconds(Date())
        let query: PostgresQuery
        switch expected {
        case .any:
            query = try """
                INSERT INTO retrieval_index (name, generation, data, size, updated_at)
                VALUES (\(name), nextval('retrieval_index_generation'), \(data), \(data.count), \(now))
                ON CONFLICT (name) DO UPDATE SET generation = EXCLUDED.generation, data = EXCLUDED.data, size = EXCLUDED.size,
                    updated_at = EXCLUDED.updated_at
                RETURNING generation
                """
        case .absent:
            query = try """
                INSERT INTO retrieval_index (name, generation, data, size, updated_at)
                VALUES (\(name), nextval('retrieval_index_generation'), \(data), \(data.count), \(now))
                ON CONFLICT (name) DO NOTHING RETURNING generation
                """
        case .generation(let generation):
            // Under READ COMMITTED a second writer waits for the first's row lock, then finds the generation moved.
            query = try """
                UPDATE retrieval_index SET generation = nextval('retrieval_index_generation'), data = \(data), size = \(data.count),
                    updated_at = \(now)
                WHERE name = \(name) AND generation = \(generation)
                RETURNING generation
                """
        }
        let rows = try await client.query(query, logger: logger)
        for try await generation in rows.decode(Int64.self) { return generation }
        return nil
    }

    public func deleteRetrievalIndex(_ name: String) async throws -> Bool {
        try await bounded { [self] in
            try await execute("DELETE FROM retrieval_index WHERE name = \(name) RETURNING name") > 0
        }
    }
}
