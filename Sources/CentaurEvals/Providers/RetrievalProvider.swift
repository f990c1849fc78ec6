import CentaurConfiguration
import CentaurCore
import CentaurRetrieval
import Foundation

/// `centaur:retrieval:INDEX`: the prompt is the query; the answer is the ranked hits of the index `INDEX` in
/// `config.index_dir` when set, else where the deployment keeps its indexes (`centaur eval run`: the shared database on
/// PostgreSQL, `indexes` in the data directory on SQLite), as a JSON array of `{id, score}`. `config.mode` (lexical, dense, hybrid), `config.top` (default 100) and `config.filter` as in
/// `centaur index search`.
public struct RetrievalProvider: EvalProvider {
    public let index: String
    public let catalog: IndexCatalog
    public let mode: RetrievalMode?
    public let top: Int
    public let filter: RetrievalFilter?

    init(index: String, config: [String: JSONValue], environment: [String: String], library: RetrievalLibrary? = nil) throws {
        self.index = index
        let home = URL(fileURLWithPath: CentaurHome.resolve(environment: environment))
        let chosen: RetrievalLibrary
        if let directory = config["index_dir"]?.stringValue {
            chosen = RetrievalLibrary(directory: URL(fileURLWithPath: directory))
        } else if let library {
            chosen = library
        } else {
            let data = environment["CENTAUR_DATA_DIR"] ?? CentaurHome.resolve(environment: environment) + "/data"
            chosen = RetrievalLibrary(directory: URL(fileURLWithPath: data).appendingPathComponent("indexes"))
        }
        catalog = IndexCatalog(library: chosen, embedderDirectory: MiniLMEncoder.defaultDirectory(home: home))
        if let name = config["mode"]?.stringValue {
            guard let parsed = RetrievalMode(rawValue: name) else { throw EvalSuiteError("centaur:retrieval: mode is lexical, dense or hybrid (got \(name))") }
            mode = parsed
        } else {
            mode = nil
        }
        if case .number(let n)? = config["top"] { top = max(1, Int(n)) } else { top = 100 }
        filter = try config["filter"]?.stringValue.map(RetrievalFilter.parse)
    }

    public func answer(_ request: EvalRequest) async throws -> EvalAnswer {
        let started = ContinuousClock.now
        let collection = try await catalog.collection(index)
        let query = RetrievalQuery(text: request.prompt, top: top, mode: mode ?? (collection.dense == nil ? .lexical : .hybrid), filter: filter)
        let hits = try await catalog.search(index, query)
        let output = JSONValue.array(hits.map { .object(["id": .string($0.id), "score": .number($0.score)]) }).jsonString()
        return EvalAnswer(output: output, costUSD: 0, latencyMS: (ContinuousClock.now - started).seconds * 1000)
    }
}
