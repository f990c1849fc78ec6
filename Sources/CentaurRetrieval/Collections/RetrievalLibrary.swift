import Foundation

/// Collections in an ``IndexStorage`` (files in a folder by default; a table of the shared database for replicas),
/// each stored whole as one run of bytes.
///
/// The bytes hold the manifest, the index's vocabulary, the words seen with their terms and, per document, its record
/// and its term counts, so loading restores the inverted index without analysing any text again, and queries find
/// their words' stems ready. Layout (integers little-endian):
/// `CIDX` · version u32 · manifest (u32 length + JSON) · vocabulary (u32 count, then u32 length + UTF-8 per term) ·
/// words (u32 count, then per word u32 length + UTF-8 and its term u32, 0xFFFFFFFF for a stop word) ·
/// documents (u32 count, then per document u32 length + JSON, u32 term count, and that many u32 term · u32 count) ·
/// embeddings (u32 dimensions, 0 for none, then that many f32 per document in the documents' order).
public struct RetrievalLibrary: Sendable {
    public let storage: any IndexStorage
    static let magic = Array("CIDX".utf8)
    static let version: UInt32 = 3

    public init(storage: any IndexStorage) { self.storage = storage }

    /// Files in `directory` (`NAME.cidx`).
    public init(directory: URL) { self.init(storage: FileIndexStorage(directory: directory)) }

    public func exists(_ name: String) async throws -> Bool { try await storage.version(name) != nil }

    /// The collections here, by name.
    public func names() async throws -> [String] { try await storage.names() }

    /// The version of a collection's stored bytes (nil: none of that name): a reader holding a copy loaded at this
    /// version holds the current one.
    public func version(_ name: String) async throws -> String? {
        try CollectionManifest.validate(name: name)
        return try await storage.version(name)
    }

    public func delete(_ name: String) async throws {
        try CollectionManifest.validate(name: name)
        guard try await storage.delete(name) else {
            throw RetrievalError.notFound("no index named \(name) in \(storage.location) (centaur index list)")
        }
    }

    /// Stores the collection whole when what is stored matches `condition` (by default, whatever is there); returns the
    /// new version. A mismatch throws ``RetrievalError/conflict(_:)``.
    @discardableResult
    public func save(_ collection: RetrievalCollection, if condition: IndexWriteCondition = .any) async throws -> String {
        try CollectionManifest.validate(name: collection.manifest.name)
        return try await storage.write(collection.manifest.name, try Self.encode(collection), if: condition)
    }

    /// Reads a collection, applies `change` and writes it back only if nobody wrote it in between; when somebody did,
    /// reads their version and applies `change` again (up to `attempts` times), so two commands adding to one index at
    /// once keep both additions. `change` must depend only on the collection it is given (compute anything expensive,
    /// such as embeddings, before).
    public func update<T>(_ name: String, attempts: Int = 8, _ change: (inout RetrievalCollection) throws -> T) async throws -> T {
        for attempt in 1...max(1, attempts) {
            var (collection, version) = try await loadVersioned(name)
            let result = try change(&collection)
            do {
                try await save(collection, if: .version(version))
                return result
            } catch RetrievalError.conflict(let message) {
                if attempt >= attempts {
                    throw RetrievalError.conflict("\(message) \(attempts) times while this change was being written: run it again")
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...50) * attempt))
            }
        }
        throw RetrievalError.conflict("index \(name) could not be updated")
    }

    /// A collection as the bytes ``save(_:)`` stores.
    public static func encode(_ collection: RetrievalCollection) throws -> Data {
        var out = BinaryWriter()
        out.bytes(Self.magic)
        out.u32(Self.version)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        out.blob(try encoder.encode(collection.manifest))
        let lexical = collection.lexical
        out.u32(UInt32(lexical.terms.count))
        for term in lexical.terms { out.blob(Data(term.utf8)) }
        out.u32(UInt32(lexical.wordTerms.count))
        for (word, term) in lexical.wordTerms.sorted(by: { $0.key < $1.key }) {
            out.blob(Data(word.utf8))
            out.u32(term < 0 ? UInt32.max : UInt32(term))
        }
        let ids = lexical.documentIDs
        out.u32(UInt32(ids.count))
        for id in ids {
            guard let document = collection.documents[id], let counts = lexical.storedCounts(of: id) else { continue }
            out.blob(try encoder.encode(document))
            out.u32(UInt32(counts.count))
            for entry in counts {
                out.u32(UInt32(entry.term))
                out.u32(UInt32(entry.count))
            }
        }
        if let dense = collection.dense {
            out.u32(UInt32(dense.dimensions))
            for id in ids where collection.documents[id] != nil {
                guard let vector = dense.vector(of: id) else { throw RetrievalError.badInput("document \(id) has no embedding") }
                out.floats(vector)
            }
        } else {
            out.u32(0)
        }
        return out.data
    }

    /// The collection stored under `name`, with the version of the bytes it was read from.
    public func loadVersioned(_ name: String) async throws -> (collection: RetrievalCollection, version: String) {
        try CollectionManifest.validate(name: name)
        guard let (data, version) = try await storage.read(name) else {
            throw RetrievalError.notFound("no index named \(name) in \(storage.location): create it with centaur index create \(name) --input FILE.jsonl")
        }
        do {
            return (try Self.decode(data), version)
        } catch {
            throw RetrievalError.badInput("index \(name) in \(storage.location) is damaged (\(error)): create the index again")
        }
    }

    public func load(_ name: String) async throws -> RetrievalCollection {
        try await loadVersioned(name).collection
    }

    /// A collection from the bytes ``encode(_:)`` made.
    public static func decode(_ data: Data) throws -> RetrievalCollection {
        var input = BinaryReader(data)
        guard try input.bytes(4) == Self.magic else { throw RetrievalError.badInput("not a Centaur index file") }
        let version = try input.u32()
        guard version == Self.version || version == 2 else {
            throw RetrievalError.badInput("index file version \(version); this build reads 2 and \(Self.version)")
        }
        let decoder = JSONDecoder()
        let manifest = try decoder.decode(CollectionManifest.self, from: try input.blob())
        var collection = RetrievalCollection(manifest: manifest)
        var order: [String] = []
        let termCount = Int(try input.u32())
        var terms: [String] = []
        terms.reserveCapacity(termCount)
        for _ in 0..<termCount { terms.append(String(decoding: try input.blob(), as: UTF8.self)) }
        // Stored term numbers are renumbered into this index's numbering (identical when loaded fresh).
        var numbering: [Int32] = []
        numbering.reserveCapacity(termCount)
        for term in terms { numbering.append(collection.number(term)) }
        let wordCount = Int(try input.u32())
        for _ in 0..<wordCount {
            let word = String(decoding: try input.blob(), as: UTF8.self)
            let term = try input.u32()
            if term == UInt32.max {
                collection.remember(word: word, term: -1)
            } else {
                guard Int(term) < numbering.count else { throw RetrievalError.badInput("a word's term past the vocabulary") }
                collection.remember(word: word, term: numbering[Int(term)])
            }
        }
        let documentCount = Int(try input.u32())
        for _ in 0..<documentCount {
            let document = try decoder.decode(RetrievalDocument.self, from: try input.blob())
            let n = Int(try input.u32())
            var counts: [LexicalIndex.TermCount] = []
            counts.reserveCapacity(n)
            for _ in 0..<n {
                let term = Int(try input.u32()), count = Int32(try input.u32())
                guard term < numbering.count else { throw RetrievalError.badInput("a term number past the vocabulary") }
                counts.append(LexicalIndex.TermCount(term: numbering[term], count: count))
            }
            collection.restore(document, counts: counts)
            order.append(document.id)
        }
        if version >= 3 {
            let dimensions = Int(try input.u32())
            if dimensions > 0 {
                guard collection.manifest.embedding != nil, dimensions <= 65_536 else {
                    throw RetrievalError.badInput("embeddings of \(dimensions) dimensions in a collection without an embedding model")
                }
                collection.prepareDense(dimensions: dimensions)
                for id in order { collection.restore(vector: try input.floats(dimensions), of: id) }
            }
        }
        collection.manifest = manifest
        return collection
    }
}

struct BinaryWriter {
    var data = Data()
    mutating func bytes(_ bytes: [UInt8]) { data.append(contentsOf: bytes) }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
    mutating func floats(_ values: [Float]) {
        values.withUnsafeBytes { data.append(contentsOf: $0) }  // little-endian, as every platform Centaur runs on
    }
    mutating func blob(_ bytes: Data) {
        u32(UInt32(bytes.count))
        data.append(bytes)
    }
}

struct BinaryReader {
    let data: Data
    var offset: Int
    init(_ data: Data) { self.data = data; offset = data.startIndex }

    struct Truncated: Error, CustomStringConvertible { var description: String { "the file ends early" } }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, offset + count <= data.endIndex else { throw Truncated() }
        defer { offset += count }
        return Array(data[offset..<offset + count])
    }
    mutating func u32() throws -> UInt32 {
        let b = try bytes(4)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }
    mutating func floats(_ count: Int) throws -> [Float] {
        let bytes = count * 4
        guard offset + bytes <= data.endIndex else { throw Truncated() }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { target in
            data.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[(offset - data.startIndex)..<(offset - data.startIndex + bytes)]))
            }
        }
        offset += bytes
        return values
    }
    mutating func blob() throws -> Data {
        let count = Int(try u32())
        guard offset + count <= data.endIndex else { throw Truncated() }
        defer { offset += count }
        return data[offset..<offset + count]
    }
}
