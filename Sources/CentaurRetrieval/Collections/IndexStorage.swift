import Foundation

/// Where a ``RetrievalLibrary`` keeps its collections: each a named run of bytes with a version that changes whenever
/// it is written, so a reader can tell cheaply whether what it holds is still current. Files in a folder for one
/// machine (``FileIndexStorage``); a table of the shared database for replicas (`centaur serve` on PostgreSQL).
public protocol IndexStorage: Sendable {
    /// Where the collections are, for messages (a folder, "the PostgreSQL database").
    var location: String { get }
    /// The names stored, sorted.
    func names() async throws -> [String]
    /// A collection's bytes and their version; nil when there is none of that name.
    func read(_ name: String) async throws -> (data: Data, version: String)?
    /// The version of a collection's bytes, without reading them; nil when there is none of that name.
    func version(_ name: String) async throws -> String?
    /// Stores the bytes whole: a reader sees the old bytes or the new, never part of either.
    func write(_ name: String, _ data: Data) async throws
    /// Removes a collection; false when there was none.
    func delete(_ name: String) async throws -> Bool
}

/// One file per collection, `DIRECTORY/NAME.cidx` (owner-only), written to a temporary file and renamed over the old
/// one (a reader never sees half a file; a crash leaves the previous version). The version is the file's
/// modification time and size.
public struct FileIndexStorage: IndexStorage {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public var location: String { directory.path }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name + ".cidx") }

    public func names() throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".cidx") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func version(_ name: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file(name).path),
              let modified = attributes[.modificationDate] as? Date else { return nil }
        return "\(modified.timeIntervalSince1970)/\((attributes[.size] as? NSNumber)?.intValue ?? 0)"
    }

    public func read(_ name: String) -> (data: Data, version: String)? {
        // The version first: a write between the two reads leaves an older version beside newer bytes, which only
        // makes the next check load again.
        guard let version = version(name), let data = FileManager.default.contents(atPath: file(name).path) else { return nil }
        return (data, version)
    }

    public func write(_ name: String, _ data: Data) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let target = file(name)
        let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw RetrievalError.unavailable("cannot write \(temporary.path)")
        }
        if rename(temporary.path, target.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw RetrievalError.unavailable("cannot replace \(target.path): \(String(cString: strerror(errno)))")
        }
    }

    public func delete(_ name: String) throws -> Bool {
        guard FileManager.default.fileExists(atPath: file(name).path) else { return false }
        try FileManager.default.removeItem(at: file(name))
        return true
    }
}
