import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurServer
import CentaurStore
import CentaurTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("functions over HTTP")
struct FunctionsAPITests {
    @Test("a function named as the model: the subject from OpenAI's user, Anthropic's metadata.user_id or x-centaur-subject picks the variant, always the same; listed in /v1/models")
    func sticky() async throws {
        // The upstream answers with the model id it was asked for.
        let upstream = try await FakeUpstream.start { request in
            let model = (try? JSONValue(parsing: request.body))?["model"]?.stringValue ?? "?"
            return .json(#"{"id":"c1","object":"chat.completion","model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":"\#(model)"},"#
                + #""finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#)
        }
        defer { Task { try? await upstream.shutdown() } }
        let extra = """
            functions:
              greet: { variants: { va: { model: chat, weight: 1 }, vb: { model: other, weight: 1 } } }
            """
        try await EmbeddingsAPITests.withServer(upstream: upstream.baseURL, extra: extra, models: "other: { provider: up, id: gpt-y }") { http, components in
            let writer = Task { try await components.writer.run() }
            defer { writer.cancel() }
            let key = try await components.keys.create(name: "app", team: nil, scope: .gateway).secret
            func chat(_ body: String, headers extra: HTTPFields = [:]) async throws -> String {
                var headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
                headers.append(contentsOf: extra)
                let response = try await http.execute(uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: body))
                let json = try JSONValue(parsing: Data(buffer: response.body))
                #expect(response.status == .ok && json["model"]?.stringValue == "greet", "the client sees the name it asked for: \(json)")
                return json["choices"]?[0]?["message"]?["content"]?.stringValue ?? ""
            }
            func messages(user: String) async throws -> String {
                let response = try await http.execute(
                    uri: "/v1/messages", method: .post,
                    headers: [.authorization: "Bearer \(key)", .contentType: "application/json", HTTPField.Name("anthropic-version")!: "2023-06-01"],
                    body: ByteBuffer(string: #"{"model":"greet","max_tokens":5,"metadata":{"user_id":"\#(user)"},"messages":[{"role":"user","content":"hi"}]}"#))
                let json = try JSONValue(parsing: Data(buffer: response.body))
                return json["content"]?[0]?["text"]?.stringValue ?? "\(json)"
            }
            var seen: [String: Set<String>] = [:]
            for n in 0..<40 {
                let subject = "s\(n % 10)"
                let answer: String
                switch n % 3 {
                case 0: answer = try await chat(#"{"model":"greet","user":"\#(subject)","messages":[{"role":"user","content":"hi"}]}"#)
                case 1: answer = try await messages(user: subject)
                default:
                    answer = try await chat(#"{"model":"greet","messages":[{"role":"user","content":"hi"}]}"#,
                                            headers: [HTTPField.Name("x-centaur-subject")!: subject])
                }
                seen[subject, default: []].insert(answer)
            }
            #expect(seen.values.allSatisfy { $0.count == 1 }, "one variant per subject, whichever API carried it: \(seen)")
            #expect(Set(seen.values.compactMap(\.first)) == ["gpt-x", "gpt-y"], "ten subjects reach both variants: \(seen)")
            await components.writer.flush()
            let traces = try await components.stores.traces.traces(TraceQuery(tag: ("function", "greet"), limit: 100)).traces
            #expect(traces.count == 40 && traces.allSatisfy { ["va", "vb"].contains($0.tags["variant"]) && $0.route == "greet" })
            #expect(traces.allSatisfy { ($0.tags["variant"] == "va") == ($0.model == "chat") })
            let models = try await http.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(String(buffer: models.body).contains(#""greet""#))
        }
    }
}
