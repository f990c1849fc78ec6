import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurGuardrails
import CentaurServer
import CentaurTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// The gateway in front of a provider whose policy is "no PII": what leaves, and what comes back.
@Suite("Egress under a no-PII policy")
struct EgressTests {
    static let firstNames = ["Maria", "James", "Linda", "Robert", "Patricia", "Michael", "Jennifer", "David", "Elizabeth", "Daniel",
                             "Susan", "Thomas", "Jessica", "Charles", "Sarah", "Joseph", "Karen", "Anthony", "Nancy", "Mark"]
    static let lastNames = ["Garcia", "Johnson", "Martinez", "Anderson", "Thompson", "Robinson", "Hernandez", "Lopez", "Gonzalez",
                            "Wilson", "Nguyen", "Ramirez", "Patel", "Sullivan", "Kowalski", "Okafor", "Lindqvist", "Moreau"]
    static let streets = ["Oak", "Maple", "Cedar", "Lincoln", "Washington", "Sunset", "Highland", "Lakeview", "Jefferson", "Willow"]
    static let suffixes = ["Street", "Avenue", "Road", "Lane", "Drive", "Court", "Boulevard"]

    struct Case {
        let text: String
        let secrets: [String]
    }

    static func randomCase(_ generator: inout SeededGenerator) -> Case {
        let name = "\(firstNames.randomElement(using: &generator)!) \(lastNames.randomElement(using: &generator)!)"
        var area = Int.random(in: 1...899, using: &generator)
        if area == 666 { area = 667 }
        let ssn = String(format: "%03d-%02d-%04d", area, Int.random(in: 1...99, using: &generator), Int.random(in: 1...9999, using: &generator))
        let letter = ["A", "B", "D", "F", "S", "T"].randomElement(using: &generator)!
        let licence = letter + String(format: "%07d%05d", Int.random(in: 0...9_999_999, using: &generator), Int.random(in: 0...99_999, using: &generator))
        let address = "\(Int.random(in: 10...9999, using: &generator)) \(streets.randomElement(using: &generator)!) \(suffixes.randomElement(using: &generator)!)"
        let templates = [
            "My name is \(name). My SSN is \(ssn) and my driver's license number is \(licence). I live at \(address).",
            "Please update the file for \(name): social security number \(ssn), driver license \(licence), address \(address), Springfield.",
            "Applicant \(name) (SSN: \(ssn)) lives at \(address); driver's licence \(licence).",
        ]
        return Case(text: templates.randomElement(using: &generator)!, secrets: [name, ssn, licence, address])
    }

    /// An OpenAI-compatible upstream that records what it receives and echoes the user's text back,
    /// streamed in 3-character pieces (placeholders split across chunks) or as a tool call's argument.
    static func echoUpstream(received: NIOLockedValueBox<[String]>) async throws -> FakeUpstream {
        try await FakeUpstream.start { request in
            let body = String(decoding: request.body, as: UTF8.self)
            received.withLockedValue { $0.append(body) }
            let json = (try? JSONValue(parsing: request.body)) ?? .null
            let echo = json["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
            let wantsTool = json["tools"] != nil
            if json["stream"] == true {
                var events = ""
                for piece in stride(from: 0, to: echo.count, by: 3).map({ String(Array(echo)[$0..<min($0 + 3, echo.count)]) }) {
                    let chunk: JSONValue = ["id": "c1", "object": "chat.completion.chunk", "model": "gpt-fake",
                                            "choices": [["index": 0, "delta": ["content": .string(piece)], "finish_reason": .null]]]
                    events += "data: \(chunk.jsonString())\n\n"
                }
                let last: JSONValue = ["id": "c1", "object": "chat.completion.chunk", "model": "gpt-fake",
                                       "choices": [["index": 0, "delta": [:], "finish_reason": "stop"]],
                                       "usage": ["prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15]]
                return .sse(events + "data: \(last.jsonString())\n\ndata: [DONE]\n\n", chunkSize: 50)
            }
            let message: JSONValue = wantsTool
                ? ["role": "assistant", "content": .null, "tool_calls": [["id": "call_1", "type": "function",
                   "function": ["name": "file_note", "arguments": .string((["note": .string(echo)] as JSONValue).jsonString())]]]]
                : ["role": "assistant", "content": .string(echo)]
            let reply: JSONValue = ["id": "r1", "object": "chat.completion", "model": "gpt-fake",
                                    "choices": [["index": 0, "message": message, "finish_reason": wantsTool ? "tool_calls" : "stop"]],
                                    "usage": ["prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15]]
            return .json(reply.jsonString())
        }
    }

    @Test("1,000 randomised requests: the upstream receives no raw value; the client gets every original back")
    func thousandRequests() async throws {
        let received = NIOLockedValueBox<[String]>([])
        let upstream = try await Self.echoUpstream(received: received)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-egress-\(UUID().uuidString)").path
        let yaml = """
            providers:
              thirdparty: { kind: openai, api_key: k, base_url: "\(upstream.baseURL)/v1", flavor: compatible, pii: none }
            models:
              gpt-fake: { provider: thirdparty, id: gpt-fake }
            default_model: gpt-fake
            """
        var configuration = try ConfigurationLoader(environment: [:]).parse(yaml, source: "test.yaml")
        configuration.capture = .full
        let components = try await CentaurServerComponents(configuration: configuration, settings: ServerSettings(port: 0),
                                                     dataDirectory: directory, httpClient: client, logger: .init(label: "test"))
        let key = try await components.keys.create(name: "app", team: nil, scope: .admin).secret
        let writer = Task { try await components.writer.run() }
        var generator = SeededGenerator(seed: 42)
        let cases = (0..<1000).map { _ in Self.randomCase(&generator) }
        do {
            try await Application(router: components.makeRouter()).test(.router) { http in
                for (index, item) in cases.enumerated() {
                    let mode = index % 3  // 0: plain, 1: streaming, 2: tool call
                    var fields: [String: JSONValue] = ["model": "gpt-fake", "messages": [["role": "user", "content": .string(item.text)]]]
                    if mode == 1 { fields["stream"] = true }
                    if mode == 2 {
                        fields["tools"] = [["type": "function", "function": ["name": "file_note", "parameters": ["type": "object", "properties": ["note": ["type": "string"]]]]]]
                    }
                    let body = JSONValue.object(fields)
                    let response = try await http.execute(uri: "/v1/chat/completions", method: .post,
                                                          headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                                                          body: ByteBuffer(string: body.jsonString()))
                    #expect(response.status == .ok)
                    let text = String(buffer: response.body)
                    var answer = ""
                    switch mode {
                    case 1:
                        for line in text.split(separator: "\n") where line.hasPrefix("data: {") {
                            answer += (try JSONValue(parsing: String(line.dropFirst(6))))["choices"]?[0]?["delta"]?["content"]?.stringValue ?? ""
                        }
                    case 2:
                        let arguments = try JSONValue(parsing: text)["choices"]?[0]?["message"]?["tool_calls"]?[0]?["function"]?["arguments"]?.stringValue ?? ""
                        answer = try JSONValue(parsing: arguments)["note"]?.stringValue ?? ""
                    default:
                        answer = try JSONValue(parsing: text)["choices"]?[0]?["message"]?["content"]?.stringValue ?? ""
                    }
                    #expect(answer == item.text, "case \(index) (mode \(mode)): the client got \(answer)")
                }
            }
            let bodies = received.withLockedValue { $0 }
            #expect(bodies.count == 1000)
            var leaks: [String] = []
            for (item, body) in zip(cases, bodies) {
                for secret in item.secrets where body.contains(secret) { leaks.append(secret) }
            }
            #expect(leaks.isEmpty, "\(leaks.count) raw values reached the upstream, e.g. \(leaks.prefix(5))")
            #expect(bodies.allSatisfy { $0.contains("<US_SSN_1>") && $0.contains("<PERSON_1>") })

            // Traces say what was redacted, never the values.
            await components.writer.flush()
            writer.cancel()
            let page = try await components.stores.traces.traces(.init(limit: 20))
            #expect(page.traces.allSatisfy { $0.tags["pii_redacted"]?.contains("US_SSN:1") == true })
            for trace in page.traces {
                let stored = (trace.requestBody ?? "") + (trace.responseBody ?? "")
                #expect(!cases.contains { item in item.secrets.contains { stored.contains($0) } }, "a trace holds a raw value")
            }
        } catch {
            writer.cancel()
            try? await client.shutdown()
            try? await upstream.shutdown()
            throw error
        }
        try await client.shutdown()
        try await upstream.shutdown()
    }
}
