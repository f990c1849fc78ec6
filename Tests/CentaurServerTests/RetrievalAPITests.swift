import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurRetrieval
import CentaurServer
import CentaurStore
import CentaurTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Retrieval API")
struct RetrievalAPITests {
    /// A server whose data directory holds the `papers` index of examples/retrieval (lexical only).
    static func withServer(upstream: String? = nil,
                           _ body: @escaping @Sendable (any TestClientProtocol, CentaurServerComponents) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-retrieval-\(UUID().uuidString)")
        var collection = RetrievalCollection(manifest: CollectionManifest(name: "papers", metadataFields: ["year", "venue", "place", "published"]))
        let input = try String(contentsOf: Repository.root.appendingPathComponent("examples/retrieval/papers.jsonl"), encoding: .utf8)
        let documents = try input.split(separator: "\n").enumerated().map { index, line -> RetrievalDocument in
            guard case .object(let record) = try JSONValue(parsing: Data(line.utf8)) else { throw RetrievalError.badInput("line") }
            return try collection.document(from: record, line: index + 1)
        }
        try collection.upsert(documents)
        try await RetrievalLibrary(directory: directory.appendingPathComponent("indexes")).save(collection)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let configuration = try ConfigurationLoader(environment: [:]).parse("""
            providers:
              nowhere: { kind: openai, api_key: k, base_url: "\(upstream ?? "http://127.0.0.1:9")/v1", flavor: compatible, pii: all }
            models:
              m: { provider: nowhere, id: m }
            default_model: m
            cache: { enabled: false }
            """, source: "test.yaml")
        do {
            let components = try await CentaurServerComponents(configuration: configuration, settings: ServerSettings(port: 0),
                                                               dataDirectory: directory.path, httpClient: client, logger: .init(label: "test"))
            try await Application(router: components.makeRouter()).test(.router) { http in try await body(http, components) }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func search(_ http: any TestClientProtocol, _ key: String, _ body: String) async throws -> (HTTPResponse.Status, JSONValue) {
        let response = try await http.execute(uri: "/api/retrieval/search", method: .post,
                                              headers: [.authorization: "Bearer \(key)", .contentType: "application/json"], body: ByteBuffer(string: body))
        return (response.status, try JSONValue(parsing: Data(buffer: response.body)))
    }

    @Test("search an index by text, with filters; hits carry their text and plain-JSON metadata")
    func search() async throws {
        try await Self.withServer { http, components in
            let key = try await components.keys.create(name: "app", team: nil, scope: .gateway).secret
            let (status, body) = try await Self.search(http, key, #"{"collection": "papers", "query": "vitamin D and bone density", "top": 2}"#)
            #expect(status == .ok && body["mode"] == "lexical", "lexical-only index: lexical by default")
            #expect(body["hits"]?[0]?["id"] == "p1" && body["hits"]?.arrayValue?.count == 2, "\(body)")
            #expect(body["hits"]?[0]?["metadata"]?["year"] == 2019 && body["hits"]?[0]?["metadata"]?["published"] == "2019-03-14")
            #expect(body["hits"]?[0]?["metadata"]?["place"]?["lat"] == 52.52)
            let (_, near) = try await Self.search(http, key, #"{"collection": "papers", "query": "running", "filter": "near(place, 52.52, 13.40, 50km)"}"#)
            #expect(near["hits"]?.arrayValue?.map { $0["id"]?.stringValue } == ["p6"])
            let collections = try await http.execute(uri: "/api/retrieval/collections", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(try JSONValue(parsing: Data(buffer: collections.body))["collections"]?[0]?["documents"] == 8)
        }
    }

    @Test("POST /api/rag/answer: an answer from the index with its citations checked, traced as the caller's call; bad requests get a 400")
    func rag() async throws {
        let upstream = try await FakeUpstream.start { _ in
            .json(#"{"id":"r1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","#
                  + #""content":"Daily vitamin D raised hip bone density slightly [p1]."},"finish_reason":"stop"}],"#
                  + #""usage":{"prompt_tokens":80,"completion_tokens":12,"total_tokens":92}}"#)
        }
        defer { Task { try? await upstream.shutdown() } }
        try await Self.withServer(upstream: upstream.baseURL) { http, components in
            let writer = Task { try await components.writer.run() }
            defer { writer.cancel() }
            let (secret, record) = try await components.keys.create(name: "app", team: "research", scope: .gateway)
            func ask(_ body: String) async throws -> (HTTPResponse.Status, JSONValue) {
                let response = try await http.execute(uri: "/api/rag/answer", method: .post,
                                                      headers: [.authorization: "Bearer \(secret)", .contentType: "application/json"],
                                                      body: ByteBuffer(string: body))
                return (response.status, try JSONValue(parsing: Data(buffer: response.body)))
            }
            let (status, answer) = try await ask(#"{"collection": "papers", "question": "What did vitamin D do to bone density?"}"#)
            #expect(status == .ok && answer["grounded"] == true && answer["found"] == true, "\(answer)")
            #expect(answer["citations"]?[0]?["id"] == "p1" && answer["citations"]?[0]?["verified"] == true && answer["sources"]?[0] == "p1")
            await components.writer.flush()
            let traces = try await components.stores.traces.traces(TraceQuery(limit: 10)).traces
            #expect(traces.contains { $0.keyID == record.id && $0.surface == "rag" && $0.tags["collection"] == "papers" }, "\(traces.map(\.surface))")
            let (none, notFound) = try await ask(#"{"collection": "papers", "question": "quantum chromodynamics"}"#)
            #expect(none == .ok && notFound["found"] == false && notFound["answer"] == "NOT FOUND")
            #expect(try await ask(#"{"collection": "papers"}"#).0 == .badRequest)
            #expect(try await ask(#"{"collection": "papers", "question": "x", "context_tokens": 5}"#).0 == .badRequest)
            #expect(try await ask(#"{"collection": "nothing", "question": "x"}"#).0 == .notFound)
        }
    }

    @Test("bad requests get a 400 naming the field; an unknown index is a 404; dense on a lexical index says how to fix it; reviewers may not search")
    func errors() async throws {
        try await Self.withServer { http, components in
            let key = try await components.keys.create(name: "app", team: nil, scope: .gateway).secret
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"query": "x"}"#, .badRequest, "collection"),
                (#"{"collection": "papers"}"#, .badRequest, "query"),
                (#"{"collection": "papers", "query": "x", "top": 0}"#, .badRequest, "top"),
                (#"{"collection": "papers", "query": "x", "mode": "fuzzy"}"#, .badRequest, "mode"),
                (#"{"collection": "papers", "query": "x", "filter": "year>>"}"#, .badRequest, "filter"),
                (#"{"collection": "papers", "query": "x", "colour": "red"}"#, .badRequest, "colour"),
                (#"not json"#, .badRequest, "JSON"),
                (#"{"collection": "nothing", "query": "x"}"#, .notFound, "no index named nothing"),
                (#"{"collection": "papers", "query": "x", "mode": "dense"}"#, .badRequest, "--dense"),
            ]
            for (body, status, mention) in cases {
                let (got, error) = try await Self.search(http, key, body)
                #expect(got == status && (error["error"]?["message"]?.stringValue?.contains(mention) ?? false)
                        || got == status && (error["error"]?["param"]?.stringValue?.contains(mention) ?? false), "\(body): \(got) \(error)")
            }
            let reviewer = try await components.keys.create(name: "rev", team: nil, scope: .reviewer).secret
            #expect(try await Self.search(http, reviewer, #"{"collection": "papers", "query": "x"}"#).0 == .forbidden)
            #expect(try await Self.search(http, "ctr_wrong", #"{"collection": "papers", "query": "x"}"#).0 == .unauthorized)
        }
    }
}
