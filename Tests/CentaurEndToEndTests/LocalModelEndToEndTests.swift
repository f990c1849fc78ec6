import AsyncHTTPClient
import CentaurCore
import CentaurProviders
import CentaurTestSupport
import Foundation
import Testing

extension LocalModelTests {
    /// End to end with the real local model: the built `centaur` binary starts llama.cpp's server and answers. One
    /// serialized suite: a CLI command borrows a running server of the same model (HOME/run/llama-server.json), so a test
    /// that starts and stops its own must not run beside them.
    ///
    /// Runs when scripts/setup-local-model has installed the model; scripts/test installs it and sets
    /// CENTAUR_REQUIRE_LOCAL_MODEL=1, so in CI a missing model fails instead of skipping.
    @Suite(.serialized, LocalModel.needed())
    struct LocalModelEndToEndTests {
        @Test func theModelIsInstalled() {
            #expect(LocalModel.isInstalled, "scripts/setup-local-model did not install \(LocalModel.modelPath)")
        }

        @Test func askAnswersAndReportsUsage() async throws {
            let result = try await CLI.run(["ask", "--json", "--temperature", "0", "--max-tokens", "16", "What is the capital of France? Answer with one word."])
            #expect(result.status == 0, "\(result.stderr)")
            let json = try JSONValue(parsing: result.stdout)
            #expect(json["text"]?.stringValue?.lowercased().contains("paris") == true, "\(json)")
            #expect((json["usage"]?["output_tokens"]?.intValue ?? 0) > 0)
            #expect((json["usage"]?["input_tokens"]?.intValue ?? 0) > 0)
            #expect(json["cost_usd"] == 0)
            #expect(json["model"] == "small")
        }

        @Test func schemaConstrainedExtractionReturnsSchemaValidJSON() async throws {
            let schema: JSONValue = [
                "type": "object",
                "properties": ["name": ["type": "string"], "date_of_birth": ["type": "string", "format": "date"]],
                "required": ["name", "date_of_birth"],
                "additionalProperties": false,
            ]
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("person-\(UUID().uuidString).schema.json")
            try schema.jsonData().write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let prompt = "Extract the person's full name and date of birth (as YYYY-MM-DD) from this text: 'Applicant Jane Marie Roe, born 4 July 1990, lives in Austin, Texas.'"
            let result = try await CLI.run(["ask", "--json", "--temperature", "0", "--schema", file.path, prompt])
            #expect(result.status == 0, "\(result.stderr)")
            let json = try JSONValue(parsing: result.stdout)
            let output = try #require(json["output"])
            #expect(JSONSchema(schema).validate(output).isEmpty, "\(output)")
            #expect(output["date_of_birth"] == "1990-07-04", "\(output)")
            #expect(output["name"]?.stringValue?.contains("Roe") == true, "\(output)")
            #expect(json["schema_violations"] == [])
        }

        @Test func modelsReportsTheLocalModelAsReachable() async throws {
            let result = try await CLI.run(["models", "--json"])
            #expect(result.status == 0)
            let rows = try JSONValue(parsing: result.stdout).arrayValue ?? []
            #expect(rows.first?["name"] == "small")
            #expect(rows.first?["reachable"] == true)
            #expect(rows.first?["default"] == true)
        }

        @Test("a streamed answer counts its prompt as a whole answer does, chat template included")
        func streamedPromptTokens() async throws {
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let server = LocalModelServer(configuration: .init(home: LocalModel.home), httpClient: client)
            let supervisor = Task { try await server.run() }
            try await server.waitUntilReady()
            let model = OpenAICompatibleModel(
                configuration: .init(baseURL: server.baseURL, modelID: LocalModelServer.defaultAlias, flavor: .llamaCpp), httpClient: client)
            let request = ModelRequest(model: "small", system: "Answer in one word.", messages: [.user("Name a primary colour.")], maxTokens: 8)
            let whole = try await model.respond(to: request)
            let streamed = try await model.stream(request).collect()
            #expect(whole.usage.inputTokens > 10, "the chat template adds its own tokens to the 11 words: \(whole.usage)")
            #expect(streamed.usage.inputTokens == whole.usage.inputTokens, "streamed \(streamed.usage), whole \(whole.usage)")
            #expect(streamed.usage.outputTokens > 0)
            // Stopped before the test ends, so no server outlives it.
            supervisor.cancel()
            _ = await supervisor.result
            try await client.shutdown()
        }
    }
}

/// CLI behaviour that needs no model.
struct CLITests {
    @Test func anUnknownModelIsAClearErrorOnStderr() async throws {
        let result = try await CLI.run(["ask", "--model", "nope", "hello"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("unknown model 'nope'"))
        #expect(result.stdout.isEmpty)
    }

    @Test func aMissingConfigFileIsAClearError() async throws {
        let result = try await CLI.run(["models", "--config", "/nonexistent/centaur.yaml"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("file not found"))
    }

    @Test func everyCommandHasHelp() async throws {
        for command in [["--help"], ["ask", "--help"], ["models", "--help"], ["version", "--help"]] {
            let result = try await CLI.run(command)
            #expect(result.status == 0)
            #expect(result.stdout.contains("USAGE: centaur"), "\(command)")
        }
        #expect(try await CLI.run(["version"]).stdout == "centaur \(CentaurVersion.current)\n")
    }

    @Test func aReplayConfigurationAnswersFromItsCassette() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let request = ModelRequest(model: "demo", messages: [.user("hello")], maxTokens: 512)
        let response = ModelResponse(model: "recorded", content: [.text("hi from the cassette")], stopReason: .endTurn, usage: Usage(inputTokens: 3, outputTokens: 4))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var line = try encoder.encode(CassetteLine(key: CassetteLine.key(for: request), request: request, response: response))
        line.append(UInt8(ascii: "\n"))
        try line.write(to: directory.appendingPathComponent("c.jsonl"))
        let config = directory.appendingPathComponent("centaur.yaml")
        try "providers:\n  r: { kind: replay, cassette: \(directory.path)/c.jsonl }\nmodels:\n  demo: { provider: r, id: recorded, price: { input: 1, output: 2 } }\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let result = try await CLI.run(["ask", "--config", config.path, "--json", "hello"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONValue(parsing: result.stdout)
        #expect(json["text"] == "hi from the cassette")
        #expect(abs((json["cost_usd"]?.doubleValue ?? 0) - 11.0 / 1_000_000) < 1e-12)
    }
}


struct CassetteLine: Codable {
    var key: String
    var request: ModelRequest
    var response: ModelResponse
    static func key(for request: ModelRequest) -> String { ReplayModel.key(for: request) }
}

extension LocalModelTests {
    /// RAG with the real local model: a question the example papers answer gets an answer citing the passage it came
    /// from, verified; a question they do not answer gets "not found" (exit 3), whether or not passages were retrieved.
    @Suite(LocalModel.needed())
    struct LocalModelRAGTests {
        @Test("centaur rag ask with the local model: a verified citation for an answerable question, not found for the others")
        func rag() async throws {
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-rag-local-\(UUID().uuidString)").path
            let papers = Repository.root.appendingPathComponent("examples/retrieval/papers.jsonl").path
            #expect(try await CLI.run(["index", "create", "papers", "--input", papers, "--data-dir", data]).status == 0)
            let answered = try await CLI.run(["rag", "ask", "papers", "What did vitamin D do to bone density?", "--json", "--data-dir", data])
            let body = try JSONValue(parsing: Data(answered.stdout.utf8))
            #expect(answered.status == 0 && body["grounded"] == true, "\(answered.stdout) \(answered.stderrText)")
            #expect(body["citations"]?.arrayValue?.contains { $0["id"] == "p1" && $0["verified"] == true } == true, "\(body)")
            for question in ["Which football team won the bone density cup in 1998?", "What is the boiling point of liquid nitrogen in kelvin?"] {
                let result = try await CLI.run(["rag", "ask", "papers", question, "--json", "--data-dir", data])
                let answer = try JSONValue(parsing: Data(result.stdout.utf8))
                #expect(result.status == 3 && answer["found"] == false && answer["answer"] == "NOT FOUND", "\(question): \(result.stdout)")
            }
        }
    }
}
