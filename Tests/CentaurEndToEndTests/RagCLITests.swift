import CentaurCore
import CentaurTestSupport
import Foundation
import Testing

/// `centaur rag ask` through the built binary, the model a fake OpenAI-compatible upstream on 127.0.0.1.
@Suite("centaur rag ask")
struct RagCLITests {
    static func answering(_ text: String) async throws -> FakeUpstream {
        try await FakeUpstream.start { _ in
            let content = String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
            return .json(#"{"id":"r1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"#
                         + content + #"},"finish_reason":"stop"}],"usage":{"prompt_tokens":50,"completion_tokens":9,"total_tokens":59}}"#)
        }
    }

    @Test("a cited answer exits 0 with its sources; an invented citation exits 4; no matching passage exits 3 without asking the model")
    func ask() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-rag-\(UUID().uuidString)")
        let data = directory.appendingPathComponent("data").path
        let papers = Repository.root.appendingPathComponent("examples/retrieval/papers.jsonl").path
        #expect(try await CLI.run(["index", "create", "papers", "--input", papers, "--data-dir", data]).status == 0)
        for (answer, status) in [("It raised hip bone density a little [p1].", Int32(0)), ("It cures fractures [p99].", 4)] {
            let upstream = try await Self.answering(answer)
            let config = directory.appendingPathComponent("centaur-\(status).yaml")
            try """
                providers:
                  fake: { kind: openai, api_key: k, base_url: "\(upstream.baseURL)/v1", flavor: compatible, pii: all }
                models:
                  m: { provider: fake, id: m }
                default_model: m
                cache: { enabled: false }
                """.write(to: config, atomically: true, encoding: .utf8)
            let result = try await CLI.run(["rag", "ask", "papers", "What did vitamin D do to bone density?", "--json", "--config", config.path,
                                            "--data-dir", data])
            try await upstream.shutdown()
            #expect(result.status == status, "\(result.stdout) \(result.stderrText)")
            let body = try JSONValue(parsing: Data(result.stdout.utf8))
            #expect(body["found"] == true && body["sources"]?[0] == "p1")
            #expect(body["grounded"] == .bool(status == 0) && (status == 0 || body["invented"]?[0] == "p99"))
        }
        let none = try await CLI.run(["rag", "ask", "papers", "quantum chromodynamics", "--config", directory.appendingPathComponent("centaur-0.yaml").path,
                                      "--data-dir", data])
        #expect(none.status == 3 && none.stdout.contains("NOT FOUND") && none.stdout.contains("no passage matched"), "\(none.stdout)")
    }
}
