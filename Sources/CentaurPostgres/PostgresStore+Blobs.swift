import CentaurStore
import Foundation
import PostgresNIO

/// Uploaded documents in the shared database, so every replica reads what any replica received.
extension PostgresStore: BlobStore {
    public func put(_ data: Data, sha256: String) async throws {
        try await execute("""
            INSERT INTO blob (sha256, data, size, created_at) VALUES (\(sha256), \(data), \(data.count), \(Self.seconds(Date())))
            ON CONFLICT (sha256) DO NOTHING
            """)
    }

    public func get(_ sha256: String) async throws -> Data {
        try await ready()
        for try await data in try await client.query("SELECT data FROM blob WHERE sha256 = \(sha256)", logger: logger).decode(Data.self) {
            return data
        }
        throw StoreError("document blob \(sha256) is missing from PostgreSQL (schema \(schema))")
    }
}
