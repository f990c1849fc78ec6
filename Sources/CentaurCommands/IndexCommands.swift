import ArgumentParser
import CentaurConfiguration
import CentaurCore
import CentaurRetrieval
import CentaurRuntime
import CentaurStore
import Foundation

struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build and search retrieval indexes (BM25 with English stemming) from JSON Lines files.",
        discussion: """
            An index lives in DATA-DIR/indexes/NAME.cidx. Each input line is a JSON object: an id field, text fields \
            joined into the indexed text, and metadata fields kept typed for filters (numbers, YYYY-MM-DD dates, \
            {"lat": …, "lon": …} places, text).

            Examples:
              centaur index create papers --input corpus.jsonl --text-fields title,text --metadata-fields year,venue
              centaur index search papers --query "vitamin D and bone density" --top 5
              centaur index search papers --query "statins" --filter "year>=2015 and venue=NEJM"
              centaur index search papers --queries queries.jsonl --top 100 --format trec > run.trec
              centaur index add papers --input new-or-changed.jsonl
              centaur index delete papers --ids 4983,5836
            """,
        subcommands: [Create.self, Add.self, Delete.self, Search.self, Tune.self, Stats.self, List.self, Drop.self])

    /// Where the indexes live: the shared database's `retrieval_index` on PostgreSQL (`--database`,
    /// `CENTAUR_DATABASE_URL` or centaur.yaml's `database:`), so every replica of `centaur serve` searches them; else
    /// files in DATA_DIR/indexes.
    static func library(_ options: GlobalOptions) throws -> RetrievalLibrary {
        if case .postgres = try options.databaseURL() { return try options.stores().retrievalLibrary(dataDirectory: options.dataDirectory) }
        return RetrievalLibrary(directory: URL(fileURLWithPath: options.dataDirectory).appendingPathComponent("indexes"))
    }

    /// Refuses to apply a change prepared against `prepared` (documents split and embedded for its settings) to an
    /// index created again since with other settings.
    static func requireSameIndex(_ stored: RetrievalCollection, as prepared: RetrievalCollection) throws {
        let (a, b) = (stored.manifest, prepared.manifest)
        guard a.createdAt == b.createdAt, a.idField == b.idField, a.textFields == b.textFields, a.metadataFields == b.metadataFields,
              a.embedding == b.embedding, a.chunking == b.chunking else {
            throw RetrievalError.conflict("index \(a.name) was created again while this command ran: run it again")
        }
    }

    /// The records of a JSON Lines file (blank lines skipped), each a JSON object, with its line number.
    static func records(_ path: String) throws -> [(line: Int, record: [String: JSONValue])] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIFailure(message: "cannot read \(path)") }
        let decoder = JSONDecoder()
        var result: [(Int, [String: JSONValue])] = []
        var number = 0
        for line in data.split(separator: 10, omittingEmptySubsequences: false) {
            number += 1
            guard line.contains(where: { $0 != 32 && $0 != 9 && $0 != 13 }) else { continue }
            guard case .object(let object) = try? decoder.decode(JSONValue.self, from: Data(line)) else {
                throw CLIFailure(message: "\(path) line \(number) is not a JSON object")
            }
            result.append((number, object))
        }
        return result
    }

    /// The queries of a JSON Lines file: each line's id and text, by the given fields.
    static func queries(_ path: String, textField: String, idField: String) throws -> [(id: String, text: String)] {
        try records(path).map { line, record in
            guard case .string(let text)? = record[textField] else {
                throw CLIFailure(message: "\(path) line \(line) has no text field \"\(textField)\": set --query-field")
            }
            guard let id = RetrievalDocument.id(record[idField]) else {
                throw CLIFailure(message: "\(path) line \(line) has no id field \"\(idField)\" (a string or a whole number): set --query-id-field")
            }
            return (id, text)
        }
    }

    static func split(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).seconds
    }

    static func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    /// The local MiniLM encoder from CENTAUR_HOME (scripts/setup-embeddings installs it).
    static func encoder(precision: MiniLMEncoder.Precision = .float32) throws -> MiniLMEncoder {
        let directory = MiniLMEncoder.defaultDirectory(home: URL(fileURLWithPath: CentaurHome.resolve()))
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path) else {
            throw CLIFailure(message: "the embedding model is not installed in \(directory.path): run scripts/setup-embeddings")
        }
        return try MiniLMEncoder(directory: directory, precision: precision)
    }

    /// The encoder an index's vectors were made with (its manifest names it), so queries and new rows match them.
    static func encoder(for collection: RetrievalCollection) throws -> MiniLMEncoder {
        try encoder(precision: try MiniLMEncoder.precision(of: collection.manifest))
    }

    /// Embeds documents' texts with progress on standard error.
    static func embed(_ documents: [RetrievalDocument], with encoder: MiniLMEncoder, threads: Int) -> [[Float]] {
        let start = ContinuousClock.now
        let total = documents.count
        let vectors = encoder.encodeAll(documents.map(\.text), threads: threads) { done in
            let elapsed = seconds(since: start)
            note(String(format: "embedded %d/%d documents (%.1f documents/s)", done, total, Double(done) / max(elapsed, 1e-9)))
        }
        let elapsed = seconds(since: start)
        note(String(format: "embedded %d documents in %.1f s (%.2f documents/s on %d thread%@)", total, elapsed, Double(total) / max(elapsed, 1e-9),
                    threads, threads == 1 ? "" : "s"))
        return vectors
    }

    /// Reads `path` into documents of `collection` (a record's chunks when it chunks; with an embedding model, chunk
    /// budgets count its word pieces).
    static func documents(_ path: String, for collection: RetrievalCollection, tokenizer: WordPieceTokenizer? = nil) throws -> [RetrievalDocument] {
        var count: @Sendable (String) -> Int = Chunker.words
        if var tokenizer {
            tokenizer.maximumLength = .max  // count every piece, not the first 256
            let counter = tokenizer
            count = { text in counter.ids(text).count - 2 }
        }
        var documents: [RetrievalDocument] = []
        for (line, record) in try records(path) { documents += try collection.documents(from: record, line: line, count: count) }
        return documents
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build an index from a JSON Lines file.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The index's name (letters, digits, - and _).") var name: String
        @Option(name: .long, help: ArgumentHelp("The JSON Lines file to index.", valueName: "file")) var input: String
        @Option(name: .long, help: ArgumentHelp("The field holding each record's id.", valueName: "field")) var idField = "_id"
        @Option(name: .long, help: ArgumentHelp("Fields joined (with a space) into the indexed text, in order.", valueName: "a,b")) var textFields = "title,text"
        @Option(name: .long, help: ArgumentHelp("Fields kept as typed metadata for --filter.", valueName: "a,b")) var metadataFields = ""
        @Flag(name: .long, help: "Replace an index of the same name.") var replace = false
        @Flag(name: .long, help: "Also embed every document with the local all-MiniLM-L6-v2 (scripts/setup-embeddings), for --mode dense and hybrid.")
        var dense = false
        @Option(name: .long, help: ArgumentHelp(
            "Split each record into chunks of at most this many tokens (words; word pieces with --dense), along pages, headings, paragraphs and sentences; stored as ID#1, ID#2, ….",
            valueName: "n"))
        var chunkTokens: Int?
        @Option(name: .long, help: ArgumentHelp("Tokens of the previous chunk each chunk starts with (with --chunk-tokens).", valueName: "n"))
        var chunkOverlap = 32
        @Option(name: .long, help: ArgumentHelp("Threads that embed documents (with --dense).", valueName: "n"))
        var threads = ProcessInfo.processInfo.activeProcessorCount
        @Option(name: .long, help: ArgumentHelp(
            "float32, or int8 (about 3 × faster on CPUs with AVX-512 VNNI, same quality on SciFact; recorded in the index, so queries match).",
            valueName: "precision"))
        var embeddingPrecision = "float32"

        func run() async throws {
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
            guard let precision = MiniLMEncoder.Precision(rawValue: embeddingPrecision) else {
                throw ValidationError("--embedding-precision is float32 or int8 (got \"\(embeddingPrecision)\")")
            }
            do {
                try CollectionManifest.validate(name: name)
                let library = try IndexCommand.library(options)
                if try await library.exists(name) && !replace {
                    throw CLIFailure(message: "an index named \(name) exists: add to it with centaur index add, or pass --replace")
                }
                let textFields = IndexCommand.split(self.textFields)
                guard !textFields.isEmpty else { throw ValidationError("--text-fields needs at least one field") }
                var manifest = CollectionManifest(name: name, idField: idField, textFields: textFields, metadataFields: IndexCommand.split(metadataFields))
                let encoder = dense ? try IndexCommand.encoder(precision: precision) : nil
                manifest.embedding = encoder?.name
                if let chunkTokens {
                    guard chunkTokens >= 16, chunkOverlap >= 0, chunkOverlap <= chunkTokens / 2 else {
                        throw ValidationError("--chunk-tokens must be at least 16 and --chunk-overlap at most half of it")
                    }
                    manifest.chunking = ChunkSettings(tokens: chunkTokens, overlap: chunkOverlap)
                }
                var collection = RetrievalCollection(manifest: manifest, dimensions: encoder?.dimensions)
                let reading = ContinuousClock.now
                let documents = try IndexCommand.documents(input, for: collection, tokenizer: encoder?.tokenizer)
                let read = IndexCommand.seconds(since: reading)
                let vectors = encoder.map { IndexCommand.embed(documents, with: $0, threads: threads) }
                let indexing = ContinuousClock.now
                try collection.upsert(documents, vectors: vectors)
                let built = IndexCommand.seconds(since: indexing)
                let writing = ContinuousClock.now
                // Without --replace, only if no index of this name appeared while the documents were read.
                try await library.save(collection, if: replace ? .any : .absent)
                let written = IndexCommand.seconds(since: writing)
                IndexCommand.note(String(format: "index %@: %d documents (%d terms); read %.2f s, indexed %.2f s (%.0f documents/s), written %.2f s",
                                         name, collection.count, collection.lexical.vocabularySize, read, built,
                                         Double(collection.count) / max(built, 1e-9), written))
                print("created index \(name): \(collection.count) documents")
            } catch { throw Self.fail(error) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add documents to an index, replacing those with the same ids (no rebuild).",
            discussion: "Safe beside other commands changing the same index: a change that finds the index written meanwhile is applied again to the new version.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The index's name.") var name: String
        @Option(name: .long, help: ArgumentHelp("A JSON Lines file with the index's fields.", valueName: "file")) var input: String

        func run() async throws {
            do {
                let library = try IndexCommand.library(options)
                let prepared = try await library.load(name)
                let encoder = prepared.dense == nil ? nil : try IndexCommand.encoder(for: prepared)
                let documents = try IndexCommand.documents(input, for: prepared, tokenizer: encoder?.tokenizer)
                let vectors = encoder.map { IndexCommand.embed(documents, with: $0, threads: ProcessInfo.processInfo.activeProcessorCount) }
                // Applied to the index as stored when it is written: another command's change meanwhile is kept.
                let (replaced, count) = try await library.update(name) { collection -> (Int, Int) in
                    try IndexCommand.requireSameIndex(collection, as: prepared)
                    let replaced = documents.filter { collection.documents[$0.id] != nil }.count
                    // A changed record's old chunks go first (it may now have fewer).
                    if collection.manifest.chunking != nil {
                        let parents = Set(documents.compactMap { document -> String? in
                            if case .string(let parent)? = document.metadata["parent"] { return parent } else { return nil }
                        })
                        collection.delete(ids: collection.storedIDs(ofRecords: Array(parents)))
                    }
                    try collection.upsert(documents, vectors: vectors)
                    return (replaced, collection.count)
                }
                print("index \(name): \(documents.count - replaced) added, \(replaced) replaced; \(count) documents")
            } catch { throw Self.fail(error) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete documents from an index by id.",
            discussion: "Safe beside other commands changing the same index: a change that finds the index written meanwhile is applied again to the new version.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The index's name.") var name: String
        @Option(name: .long, help: ArgumentHelp("Ids to delete.", valueName: "a,b")) var ids: String?
        @Option(name: .long, help: ArgumentHelp("A JSON Lines file whose records' ids are deleted.", valueName: "file")) var input: String?

        func run() async throws {
            do {
                let library = try IndexCommand.library(options)
                let prepared = try await library.load(name)
                var wanted = ids.map(IndexCommand.split) ?? []
                if let input { wanted += try IndexCommand.records(input).compactMap { RetrievalDocument.id($0.record[prepared.manifest.idField]) } }
                guard !wanted.isEmpty else { throw ValidationError("name the documents: --ids a,b or --input FILE.jsonl") }
                let (found, removed, count) = try await library.update(name) { collection -> (Set<String>, Int, Int) in
                    try IndexCommand.requireSameIndex(collection, as: prepared)
                    let stored = collection.storedIDs(ofRecords: wanted)
                    let found = collection.manifest.chunking == nil ? Set(stored.filter { collection.documents[$0] != nil })
                        : Set(stored.compactMap { id -> String? in
                            if case .string(let parent)? = collection.documents[id]?.metadata["parent"] { return parent } else { return nil }
                        })
                    return (found, collection.delete(ids: stored), collection.count)
                }
                let chunks = prepared.manifest.chunking == nil ? "" : " (\(removed) chunks)"
                print("index \(name): \(found.count) deleted\(chunks), \(Set(wanted).subtracting(found).count) not found; \(count) documents")
            } catch { throw Self.fail(error) }
        }
    }

    struct Search: AsyncParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, trec }

        static let configuration = CommandConfiguration(
            abstract: "Search an index with one query, or a file of queries (TREC output for evaluation).",
            discussion: "--format trec prints `QID Q0 DOCID RANK SCORE TAG` lines; timings go to standard error.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The index's name.") var name: String
        @Option(name: .long, help: ArgumentHelp("The query.", valueName: "text")) var query: String?
        @Option(name: .long, help: ArgumentHelp("A JSON Lines file of queries.", valueName: "file")) var queries: String?
        @Option(name: .long, help: ArgumentHelp("The queries' text field.", valueName: "field")) var queryField = "text"
        @Option(name: .long, help: ArgumentHelp("The queries' id field.", valueName: "field")) var queryIdField = "_id"
        @Option(name: .long, help: ArgumentHelp("lexical (BM25), dense or hybrid.", valueName: "mode")) var mode: String = "lexical"
        @Option(name: .long, help: ArgumentHelp("Results per query.", valueName: "k")) var top = 10
        @Option(name: .long, help: ArgumentHelp("Metadata conditions: year>=2015 and venue=NEJM, near(place, 52.5, 13.4, 25km).", valueName: "expr"))
        var filter: String?
        @Option(name: .long, help: ArgumentHelp("table, json or trec.", valueName: "format")) var format: Format = .table
        @Option(name: .long, help: ArgumentHelp("The run's tag in TREC output.", valueName: "tag")) var tag = "centaur"
        @Option(name: .long, help: ArgumentHelp(
            "Dense search: automatic or exact score every allowed row (a one-shot command builds no graph; centaur serve does above 20,000 rows); "
                + "approximate builds the HNSW graph now and walks it.",
            valueName: "method"))
        var denseSearch: String = "automatic"

        func run() async throws {
            guard (query == nil) != (queries == nil) else { throw ValidationError("give --query TEXT or --queries FILE.jsonl (one of them)") }
            guard top >= 1 else { throw ValidationError("--top must be at least 1") }
            guard let mode = RetrievalMode(rawValue: mode) else { throw ValidationError("--mode is lexical, dense or hybrid (got \"\(mode)\")") }
            do {
                let filter = try filter.map(RetrievalFilter.parse)
                let loading = ContinuousClock.now
                guard let method = DenseSearchMethod(rawValue: denseSearch) else {
                    throw ValidationError("--dense-search is automatic, exact or approximate (got \"\(denseSearch)\")")
                }
                var collection = try await IndexCommand.library(options).load(name)
                let loaded = IndexCommand.seconds(since: loading)
                if method == .approximate, mode != .lexical, collection.dense?.hasGraph == false {
                    let building = ContinuousClock.now
                    collection.buildGraph()
                    IndexCommand.note(String(format: "built the HNSW graph over %d rows in %.2f s", collection.dense?.count ?? 0,
                                             IndexCommand.seconds(since: building)))
                }
                var batch: [(id: String, text: String)] = []
                if let query {
                    batch = [("query", query)]
                } else if let queries {
                    batch = try IndexCommand.queries(queries, textField: queryField, idField: queryIdField)
                }
                var vectors: [[Float]?] = Array(repeating: nil, count: batch.count)
                if mode != .lexical {
                    guard collection.dense != nil else {
                        throw CLIFailure(message: "index \(name) has no embeddings: create it with --dense for --mode \(mode.rawValue)")
                    }
                    let encoder = try IndexCommand.encoder(for: collection)
                    MiniLMEncoder.setThreads(1)
                    let embedding = ContinuousClock.now
                    vectors = batch.map { encoder.encode($0.text) }
                    let embedded = IndexCommand.seconds(since: embedding)
                    if queries != nil {
                        IndexCommand.note(String(format: "embedded %d queries in %.2f s (%.1f queries/s, one thread)", batch.count, embedded,
                                                 Double(batch.count) / max(embedded, 1e-9)))
                    }
                }
                let searching = ContinuousClock.now
                var results: [(id: String, hits: [RetrievalHit])] = []
                results.reserveCapacity(batch.count)
                for (index, item) in batch.enumerated() {
                    var query = RetrievalQuery(text: item.text, top: top, mode: mode, filter: filter, vector: vectors[index])
                    query.denseMethod = method
                    results.append((item.id, try collection.searchNow(query)))
                }
                let searched = IndexCommand.seconds(since: searching)
                if queries != nil {
                    IndexCommand.note(String(format: "%d queries in %.3f s (%.0f queries/s, one thread%@); index loaded in %.2f s",
                                             batch.count, searched, Double(batch.count) / max(searched, 1e-9),
                                             mode == .lexical ? "" : ", query embedding apart", loaded))
                }
                try output(results)
            } catch { throw Self.fail(error) }
        }

        func output(_ results: [(id: String, hits: [RetrievalHit])]) throws {
            switch format {
            case .trec:
                var text = ""
                for (id, hits) in results {
                    for hit in hits { text += "\(id) Q0 \(hit.id) \(hit.rank) \(String(format: "%.6f", hit.score)) \(tag)\n" }
                }
                FileHandle.standardOutput.write(Data(text.utf8))
            case .json:
                struct Result: Encodable { var query: String; var hits: [RetrievalHit] }
                if results.count == 1 && query != nil { try printJSON(results[0].hits) } else { try printJSON(results.map { Result(query: $0.id, hits: $0.hits) }) }
            case .table:
                for (id, hits) in results {
                    if results.count > 1 { print("query \(id)") }
                    if hits.isEmpty { print("  no document matches") }
                    for hit in hits {
                        let snippet = hit.text.count > 100 ? String(hit.text.prefix(100)) + "…" : hit.text
                        print(String(format: "%3d  %8.4f  %@  %@", hit.rank, hit.score, hit.id, snippet))
                    }
                }
            }
        }
    }

    struct Tune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit an index's hybrid fusion on judged queries (mean nDCG@10) and keep the best settings.",
            discussion: """
                Tries weighted score fusion with lexical weights 0, 0.1, …, 1 and reciprocal rank fusion with several k and \
                dense weights, on the judged queries only, and saves the best in the index (--dry-run: only print). Judge on \
                queries like the ones you will ask; a held-out set tells whether the fit carries over.

                Example:
                  centaur index tune papers --queries queries.jsonl --judgments qrels/train.tsv
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The index's name (built with --dense).") var name: String
        @Option(name: .long, help: ArgumentHelp("A JSON Lines file of queries.", valueName: "file")) var queries: String
        @Option(name: .long, help: ArgumentHelp("Judgments: BEIR TSV (query-id corpus-id score) or TREC qrels.", valueName: "file")) var judgments: String
        @Option(name: .long, help: ArgumentHelp("The queries' text field.", valueName: "field")) var queryField = "text"
        @Option(name: .long, help: ArgumentHelp("The queries' id field.", valueName: "field")) var queryIdField = "_id"
        @Flag(name: .long, help: "Print the results without changing the index.") var dryRun = false

        func run() async throws {
            do {
                let library = try IndexCommand.library(options)
                let collection = try await library.load(name)
                guard collection.dense != nil else { throw CLIFailure(message: "index \(name) has no embeddings: create it with --dense to tune hybrid search") }
                guard let text = try? String(contentsOfFile: judgments, encoding: .utf8) else { throw CLIFailure(message: "cannot read \(judgments)") }
                let judged = try Relevance.judgments(text)
                let records = try IndexCommand.queries(queries, textField: queryField, idField: queryIdField).filter { judged[$0.id] != nil }
                guard !records.isEmpty else { throw CLIFailure(message: "no query in \(queries) has judgments in \(judgments) (check --query-id-field)") }
                let encoder = try IndexCommand.encoder(for: collection)
                MiniLMEncoder.setThreads(1)
                IndexCommand.note("embedding \(records.count) judged queries")
                let vectors = encoder.encodeAll(records.map(\.text), threads: ProcessInfo.processInfo.activeProcessorCount)
                let trials = try FusionFitter.fit(collection, queries: records.enumerated().map { ($1.text, vectors[$0], judged[$1.id]!) })
                func describe(_ settings: FusionSettings) -> String {
                    settings.method == .weighted ? String(format: "weighted, lexical %.1f / dense %.1f", settings.lexicalWeight, settings.denseWeight)
                        : String(format: "rrf, k %.0f, dense weight %.2f", settings.k, settings.denseWeight)
                }
                print("nDCG@10 over \(records.count) judged queries:")
                for trial in trials.prefix(5) { print(String(format: "  %.4f  %@", trial.ndcg, describe(trial.settings))) }
                if let current = trials.first(where: { $0.settings == collection.manifest.fusion }) {
                    print(String(format: "  %.4f  %@ (current)", current.ndcg, describe(current.settings)))
                }
                guard let best = trials.first, !dryRun else { return }
                try await library.update(name) { stored in
                    try IndexCommand.requireSameIndex(stored, as: collection)
                    stored.manifest.fusion = best.settings
                }
                print("index \(name): hybrid search now uses \(describe(best.settings))")
            } catch { throw Self.fail(error) }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an index's size, fields and settings.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The index's name.") var name: String
        @Flag(name: .long, help: "Print JSON.") var json = false

        struct Report: Encodable {
            var name: String; var documents: Int; var terms: Int; var averageLength: Double
            var idField: String; var textFields: [String]; var metadataFields: [String]; var k1: Double; var b: Double
            var createdAt: Date; var updatedAt: Date; var bytes: Int
            enum CodingKeys: String, CodingKey {
                case name, documents, terms, k1, b, bytes
                case averageLength = "average_length", idField = "id_field", textFields = "text_fields", metadataFields = "metadata_fields"
                case createdAt = "created_at", updatedAt = "updated_at"
            }
        }

        func run() async throws {
            do {
                let library = try IndexCommand.library(options)
                let collection = try await library.load(name)
                let bytes = try await library.storage.read(name)?.data.count ?? 0
                let m = collection.manifest
                let report = Report(name: name, documents: collection.count, terms: collection.lexical.vocabularySize,
                                    averageLength: collection.lexical.averageLength, idField: m.idField, textFields: m.textFields,
                                    metadataFields: m.metadataFields, k1: m.bm25.k1, b: m.bm25.b, createdAt: m.createdAt, updatedAt: m.updatedAt, bytes: bytes)
                if json { return try printJSON(report) }
                print("""
                    index \(name): \(report.documents) documents, \(report.terms) terms, \(String(format: "%.1f", report.averageLength)) terms per document
                      id field \(m.idField); text fields \(m.textFields.joined(separator: ", ")); metadata \(m.metadataFields.isEmpty ? "none" : m.metadataFields.joined(separator: ", "))
                      BM25 k1 \(m.bm25.k1), b \(m.bm25.b); English stemming; \(bytes) bytes stored in \(library.storage.location)
                    """)
            } catch { throw Self.fail(error) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the indexes (in the data directory, or in the database when it is PostgreSQL).")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            do {
                let names = try await IndexCommand.library(options).names()
                if names.isEmpty { print("no indexes (centaur index create NAME --input FILE.jsonl)") }
                for name in names { print(name) }
            } catch { throw Self.fail(error) }
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an index (its file, or its row in the database).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The index's name.") var name: String

        func run() async throws {
            do {
                try await IndexCommand.library(options).delete(name)
                print("dropped index \(name)")
            } catch { throw Self.fail(error) }
        }
    }
}
