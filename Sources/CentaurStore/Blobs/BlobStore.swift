import Foundation

/// Uploaded documents' bytes, addressed by their SHA-256 (hex): the same content is kept once.
public protocol BlobStore: Sendable {
    /// Stores the bytes (once: the same content is written only the first time).
    func put(_ data: Data, sha256: String) async throws
    /// The bytes stored under `sha256`; throws ``StoreError`` when they are missing.
    func get(_ sha256: String) async throws -> Data
}

/// Files by content: `blobs/ab/abcdef…` under the data directory, named by their SHA-256, owner-only (0700
/// folders, 0600 files).
public struct FileBlobStore: BlobStore {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// Where the blob with this hash is (or would be) kept.
    public func url(for sha256: String) -> URL {
        root.appendingPathComponent(String(sha256.prefix(2))).appendingPathComponent(sha256)
    }

    public func put(_ data: Data, sha256: String) async throws {
        try write(data, sha256: sha256)
    }

    /// ``put(_:sha256:)`` returning the file's place.
    @discardableResult
    public func write(_ data: Data, sha256: String) throws -> URL {
        let url = url(for: sha256)
        if FileManager.default.fileExists(atPath: url.path) { return url }
        do {
            if !FileManager.default.fileExists(atPath: root.path) { try PrivateFiles.createDirectory(at: root) }
            try PrivateFiles.createDirectory(at: url.deletingLastPathComponent())
            try data.write(to: url, options: .atomic)
            try PrivateFiles.restrict(url.path)
        } catch {
            throw StoreError("cannot store a document under \(root.path): \(error.localizedDescription)")
        }
        return url
    }

    public func get(_ sha256: String) async throws -> Data {
        do { return try Data(contentsOf: url(for: sha256)) } catch {
            throw StoreError("document blob \(sha256) is missing from \(root.path)")
        }
    }
}
