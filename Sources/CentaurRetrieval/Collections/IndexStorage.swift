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
    /// Stores the bytes whole (a reader sees the old bytes or the new, never part of either) when what is stored matches
    /// `condition`, checked and written as one step; returns the new version. A mismatch throws
    /// ``RetrievalError/conflict(_:)`` and changes nothing.
    @discardableResult
    func write(_ name: String, _ data: Data, if condition: IndexWriteCondition) async throws -> String
    /// Removes a collection; false when there was none.
    func delete(_ name: String) async throws -> Bool
}

/// What a write expects to find stored, so that two writers that each read, change and write one collection cannot
/// lose each other's change: the second finds the version moved and reads again.
public enum IndexWriteCondition: Sendable, Equatable {
    /// Whatever is there (a collection created again from scratch).
    case any
    /// Nothing of that name (a new collection).
    case absent
    /// The version this writer read.
    case version(String)

    /// Whether a stored `version` (nil: none) is what the writer expects.
    public func holds(for version: String?) -> Bool {
        switch self {
        case .any: true
        case .absent: version == nil
        case .version(let expected): version == expected
        }
    }

    /// The conflict a mismatch reports.
    public func conflict(_ name: String, found version: String?) -> RetrievalError {
        switch self {
        case .absent: .conflict("an index named \(name) was created meanwhile")
        default: version == nil ? .conflict("index \(name) was dropped meanwhile") : .conflict("index \(name) was changed meanwhile")
        }
    }
}

/// One file per collection, `DIRECTORY/NAME.cidx` (owner-only), written to a temporary file and renamed over the old
/// one (a reader never sees half a file; a crash leaves the previous version). Each file starts with a header that holds
/// a random id drawn for that write (`CGN1` and 16 bytes), which is the version: reading it costs one small read, and
/// unlike a modification time it differs for two writes in the same millisecond or after a drop and a create. Writers
/// take an exclusive `flock` on `DIRECTORY/.NAME.lock` around checking the version and renaming, so a conditional write
/// is one step for every process on the machine. Files written before the header (they start with `CIDX`) read whole,
/// with their modification time and size as the version.
public struct FileIndexStorage: IndexStorage {
    public let directory: URL
    static let header = Array("CGN1".utf8)
    static let headerSize = 20

    public init(directory: URL) { self.directory = directory }

    public var location: String { directory.path }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name + ".cidx") }

    public func names() throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".cidx") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func version(_ name: String) throws -> String? {
        guard let handle = FileHandle(forReadingAtPath: file(name).path) else { return nil }
        defer { try? handle.close() }
        let first = try reading(name) { try handle.read(upToCount: Self.headerSize) ?? Data() }
        if let version = Self.version(first) { return version }
        return try legacyVersion(of: handle, name: name)
    }

    /// The write id in a header, as hex; nil when `bytes` do not start with one.
    static func version(_ bytes: Data) -> String? {
        guard bytes.count >= headerSize, Array(bytes.prefix(4)) == header else { return nil }
        return hex(bytes.dropFirst(4).prefix(16))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// A file without a header: its modification time and size (from the open file, not the path).
    func legacyVersion(of handle: FileHandle, name: String) throws -> String {
        var info = stat()
        guard fstat(handle.fileDescriptor, &info) == 0 else {
            throw RetrievalError.unavailable("cannot read \(file(name).path): \(String(cString: strerror(errno)))")
        }
        return "legacy/\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)/\(info.st_size)"
    }

    public func read(_ name: String) throws -> (data: Data, version: String)? {
        // One open file: the version and the bytes are the same write's, whatever is renamed over the path meanwhile.
        guard let handle = FileHandle(forReadingAtPath: file(name).path) else { return nil }
        defer { try? handle.close() }
        let data = try reading(name) { try handle.readToEnd() ?? Data() }
        if let version = Self.version(data) { return (data.dropFirst(Self.headerSize), version) }
        return (data, try legacyVersion(of: handle, name: name))
    }

    /// A read that fails (not a missing file: that is nil above) is an error that names the file, never "no index".
    private func reading<T>(_ name: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw RetrievalError.unavailable("cannot read \(file(name).path): \(error)") }
    }

    @discardableResult
    public func write(_ name: String, _ data: Data, if condition: IndexWriteCondition) throws -> String {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return try locked(name) {
            let current = try version(name)
            guard condition.holds(for: current) else { throw condition.conflict(name, found: current) }
            let id = withUnsafeBytes(of: UUID().uuid) { Data($0) }
            var bytes = Data(Self.header)
            bytes.append(id)
            bytes.append(data)
            let target = file(name)
            let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString).tmp")
            guard FileManager.default.createFile(atPath: temporary.path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
                throw RetrievalError.unavailable("cannot write \(temporary.path)")
            }
            if rename(temporary.path, target.path) != 0 {
                try? FileManager.default.removeItem(at: temporary)
                throw RetrievalError.unavailable("cannot replace \(target.path): \(String(cString: strerror(errno)))")
            }
            return Self.hex(id)
        }
    }

    public func delete(_ name: String) throws -> Bool {
        try locked(name) {
            guard FileManager.default.fileExists(atPath: file(name).path) else { return false }
            try FileManager.default.removeItem(at: file(name))
            return true
        }
    }

    /// Runs `body` holding the collection's lock file (kept: removing it would let two writers lock different files).
    func locked<T>(_ name: String, _ body: () throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: directory.path) else { return try body() }
        let path = directory.appendingPathComponent(".\(name).lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw RetrievalError.unavailable("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw RetrievalError.unavailable("cannot lock \(path): \(String(cString: strerror(errno)))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
