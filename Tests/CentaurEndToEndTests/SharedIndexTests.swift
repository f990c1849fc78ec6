import CentaurCore
import CentaurPostgres
import CentaurRetrieval
import CentaurRuntime
import CentaurStore
import CentaurTestSupport
import Foundation
import Testing

/// Replicas sharing a database share its retrieval indexes: what one writes, another searches at its next query.
/// Two catalogs over one store stand in for two `centaur serve` processes; PostgreSQL where scripts/test starts it.
@Suite("Retrieval indexes shared by replicas")
struct SharedIndexTests {
    static var stores: [(String, @Sendable () throws -> any RetrievalIndexStore)] {
        var stores: [(String, @Sendable () throws -> any RetrievalIndexStore)] = [("memory", { InMemoryRetrievalIndexStore() })]
        if let url = ProcessInfo.processInfo.environment["CENTAUR_TEST_POSTGRES_URL"] {
            stores.append(("postgres", {
                try PostgresStore(url: url, schema: "x_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
                                  maximumConnections: 4, readyTimeout: .seconds(240), callTimeout: .seconds(120))
            }))
        } else if ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_POSTGRES"] == "1" {
            Issue.record("CENTAUR_REQUIRE_POSTGRES=1 but CENTAUR_TEST_POSTGRES_URL is not set")
        }
        return stores
    }

    static func papers(_ ids: [String]) throws -> RetrievalCollection {
        var collection = RetrievalCollection(manifest: CollectionManifest(name: "papers", metadataFields: ["year"]))
        let texts = ["a": "vitamin D and bone density in older women", "b": "statins and cardiovascular events",
                     "c": "running and knee cartilage", "d": "bone fractures after vitamin D supplementation"]
        try collection.upsert(ids.map { RetrievalDocument(id: $0, text: texts[$0]!, metadata: ["year": .number(2020)]) })
        return collection
    }

    @Test("a collection one replica writes, the other searches; an update shows at its next search; a drop is not found")
    func replicas() async throws {
        for (kind, make) in Self.stores {
            let store = try make()
            let writer = RetrievalLibrary(storage: StoredIndexes(store: store))
            let reader = IndexCatalog(library: RetrievalLibrary(storage: StoredIndexes(store: store)), embedderDirectory: nil)
            await #expect(throws: RetrievalError.self, "\(kind)") { try await reader.search("papers", RetrievalQuery(text: "bone")) }
            try await writer.save(try Self.papers(["a", "b", "c"]))
            #expect(try await reader.names() == ["papers"], "\(kind)")
            #expect(try await reader.search("papers", RetrievalQuery(text: "vitamin bone", top: 5)).map(\.id) == ["a"], "\(kind)")
            // The other replica adds a document (load, upsert, save): the reader's copy is stale and is loaded again.
            var collection = try await writer.load("papers")
            try collection.upsert([RetrievalDocument(id: "d", text: "bone fractures after vitamin D supplementation", metadata: [:])])
            try await writer.save(collection)
            #expect(Set(try await reader.search("papers", RetrievalQuery(text: "vitamin bone", top: 5)).map(\.id)) == ["a", "d"], "\(kind)")
            try await writer.delete("papers")
            await #expect(throws: RetrievalError.self, "\(kind)") { try await reader.search("papers", RetrievalQuery(text: "bone")) }
        }
    }

    /// Every storage a library may use: files in a folder, the in-memory double and PostgreSQL.
    static var libraries: [(String, () throws -> RetrievalLibrary)] {
        var libraries: [(String, () throws -> RetrievalLibrary)] = [("files", {
            RetrievalLibrary(directory: FileManager.default.temporaryDirectory.appendingPathComponent("centaur-cas-\(UUID().uuidString)"))
        })]
        for (kind, make) in stores { libraries.append((kind, { RetrievalLibrary(storage: StoredIndexes(store: try make())) })) }
        return libraries
    }

    @Test("12 writers adding to one index at once keep every addition (a write finding it changed reads again); a stale write is refused")
    func concurrentUpdates() async throws {
        for (kind, make) in Self.libraries {
            let library = try make()
            try await library.save(try Self.papers(["a"]), if: .absent)
            await #expect(throws: RetrievalError.self, "\(kind): created twice") { try await library.save(try Self.papers(["b"]), if: .absent) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<12 {
                    group.addTask {
                        try await library.update("papers", attempts: 100) { collection in
                            try collection.upsert([RetrievalDocument(id: "n\(n)", text: "note \(n) on vitamin D", metadata: [:])])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let collection = try await library.load("papers")
            #expect(Set(collection.documents.keys) == Set(["a"] + (0..<12).map { "n\($0)" }), "\(kind): \(collection.documents.keys.sorted())")
            // A write conditioned on a version read before someone else's write is refused, and leaves theirs.
            let (stale, version) = try await library.loadVersioned("papers")
            try await library.update("papers") { try $0.upsert([RetrievalDocument(id: "x", text: "later", metadata: [:])]) }
            await #expect(throws: RetrievalError.self, "\(kind)") { try await library.save(stale, if: .version(version)) }
            #expect(try await library.load("papers").documents["x"] != nil, "\(kind)")
        }
    }

    @Test("an index dropped and created again between two searches is read again, not served from the old copy")
    func dropAndCreateAgain() async throws {
        for (kind, make) in Self.libraries {
            let library = try make()
            let catalog = IndexCatalog(library: library, embedderDirectory: nil)
            try await library.save(try Self.papers(["a", "b"]))
            #expect(try await catalog.search("papers", RetrievalQuery(text: "statins", top: 5)).map(\.id) == ["b"], "\(kind)")
            try await library.delete("papers")
            try await library.save(try Self.papers(["c", "d"]))
            #expect(try await catalog.search("papers", RetrievalQuery(text: "statins", top: 5)).isEmpty, "\(kind)")
            #expect(try await catalog.search("papers", RetrievalQuery(text: "running", top: 5)).map(\.id) == ["c"], "\(kind)")
        }
    }

    @Test("damaged bytes in the database are a clear error that names the index, never an empty result")
    func damaged() async throws {
        for (kind, make) in Self.stores {
            let store = try make()
            let catalog = IndexCatalog(library: RetrievalLibrary(storage: StoredIndexes(store: store)), embedderDirectory: nil)
            var bytes = try RetrievalLibrary.encode(try Self.papers(["a", "b"]))
            bytes = bytes.prefix(bytes.count / 2)
            try await store.saveRetrievalIndex("papers", data: bytes)
            let error = await #expect(throws: RetrievalError.self, "\(kind)") { try await catalog.search("papers", RetrievalQuery(text: "bone")) }
            #expect("\(String(describing: error))".contains("papers") && "\(String(describing: error))".contains("damaged"), "\(kind): \(String(describing: error))")
        }
    }

    @Test("Stores on PostgreSQL keep indexes in the database; on SQLite, as files in the data directory")
    func backendChoice() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-shared-\(UUID().uuidString)").path
        let sqlite = try Stores.open(dataDirectory: directory, environment: [:])
        #expect(sqlite.indexes == nil && sqlite.retrievalLibrary(dataDirectory: directory).storage is FileIndexStorage)
        let postgres = try Stores.open(dataDirectory: directory, environment: ["CENTAUR_DATABASE_URL": "postgres://u@127.0.0.1:1/db?sslmode=disable"])
        #expect(postgres.indexes is PostgresStore && postgres.retrievalLibrary(dataDirectory: directory).storage is StoredIndexes)
    }
}
