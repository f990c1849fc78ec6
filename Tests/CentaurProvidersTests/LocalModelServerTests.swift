import AsyncHTTPClient
@testable import CentaurProviders
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Supervision of the local model process, with a stand-in for llama.cpp's server (a tiny Python HTTP server
/// that answers `/v1/models`), so the test needs no model.
/// Each test ends within two minutes or fails: a supervision bug must not hang the suite (one hung a CI run).
@Suite(.timeLimit(.minutes(2)))
struct LocalModelServerTests {
    static let fakeServer = """
        #!/usr/bin/env bash
        # Stand-in for `python -m llama_cpp.server`: serves GET /v1/models on the --port it is given.
        # It keeps its arguments (the model path among them) on its command line, as the real server does.
        ARGS=("$@")
        while [ $# -gt 0 ]; do case "$1" in --port) PORT="$2"; shift 2;; *) shift;; esac; done
        exec python3 -c '
        import http.server, signal, sys
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"{\\"object\\":\\"list\\",\\"data\\":[{\\"id\\":\\"fake\\"}]}"
                self.send_response(200); self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)
            def log_message(self, *a): pass
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
        ' "$PORT" "${ARGS[@]}"
        """

    /// A temporary folder with the stand-in as its `python` and a model file that is none.
    static func stage() throws -> (directory: URL, python: URL, model: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let python = directory.appendingPathComponent("python")
        try fakeServer.write(to: python, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python.path)
        let model = directory.appendingPathComponent("model.gguf")
        try Data("not a real model".utf8).write(to: model)
        return (directory, python, model)
    }

    @Test func startsWaitsForHealthRestartsAfterACrashAndStopsOnCancel() async throws {
        let (directory, python, model) = try Self.stage()
        defer { try? FileManager.default.removeItem(at: directory) }

        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let server = LocalModelServer(
            configuration: .init(python: python.path, modelPath: model.path, startupTimeout: .seconds(30), logFile: directory.appendingPathComponent("log").path),
            httpClient: client)
        let supervisor = Task { try await server.run() }

        try await server.waitUntilReady()
        let models = try await OpenAICompatibleModel(configuration: .init(baseURL: server.baseURL, modelID: "fake"), httpClient: client).listModels()
        #expect(models == ["fake"])

        // When the process dies, the supervisor starts a new one.
        let first = try #require(server.processIdentifier)
        kill(first, SIGKILL)
        try await server.waitUntilReady(count: 2)
        #expect(server.restartCount == 1)
        let second = try #require(server.processIdentifier)
        #expect(second != first)

        // Cancelling the service stops the process.
        supervisor.cancel()
        _ = await supervisor.result
        var exited = false
        for _ in 0..<100 where !exited {
            try await Task.sleep(for: .milliseconds(50))
            exited = kill(second, 0) != 0
        }
        #expect(exited, "the server process is still running after shutdown")
        try await client.shutdown()
    }

    @Test("a second process with the same model uses the running server instead of loading its own, and starts its own when that one stops")
    func sharedServer() async throws {
        let (directory, python, model) = try Self.stage()
        defer { try? FileManager.default.removeItem(at: directory) }
        let stateFile = directory.appendingPathComponent("run/llama-server.json").path
        let configuration = LocalModelServer.Configuration(
            python: python.path, modelPath: model.path, startupTimeout: .seconds(30), logFile: directory.appendingPathComponent("log").path,
            stateFile: stateFile)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)

        // Another process's server: a stand-in started by hand, named in the state file as its owner would.
        let owner = Process()
        owner.executableURL = python
        let ownerPort = LocalModelServer.freePort()
        owner.arguments = ["--model", model.path, "--port", String(ownerPort)]
        try owner.run()
        defer { if owner.isRunning { kill(owner.processIdentifier, SIGKILL) } }
        // Its owner names it only once it answers (before that its command line may not even be its own yet).
        let ownerModels = OpenAICompatibleModel(configuration: .init(baseURL: "http://127.0.0.1:\(ownerPort)/v1", modelID: "fake"), httpClient: client)
        var answering = false
        for _ in 0..<200 where !answering {
            answering = (try? await ownerModels.listModels()) == ["fake"]
            if !answering { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(answering, "the stand-in server answers")
        SharedServer(pid: owner.processIdentifier, port: ownerPort, modelPath: model.path, alias: configuration.alias).write(to: stateFile)

        let borrower = LocalModelServer(configuration: configuration, httpClient: client)
        try #require(borrower.port == ownerPort, "it listens where the running server does")
        let supervisor = Task { try await borrower.run() }
        try await borrower.waitUntilReady()
        try #require(borrower.isShared && borrower.processIdentifier == nil, "no model process of its own")
        #expect(try await OpenAICompatibleModel(configuration: .init(baseURL: borrower.baseURL, modelID: "fake"), httpClient: client).listModels() == ["fake"])

        // The owner stops: the borrower starts its own server on the same port and now owns the state file.
        // (SIGKILL: a test process may pass SIGTERM on ignored.)
        kill(owner.processIdentifier, SIGKILL)
        try await borrower.waitUntilReady(count: 2)
        let own = try #require(borrower.processIdentifier)
        #expect(!borrower.isShared)
        let written = try JSONDecoder().decode(SharedServer.self, from: Data(contentsOf: URL(fileURLWithPath: stateFile)))
        #expect(written.pid == own && written.port == ownerPort)
        // A mismatched model never shares it.
        var other = configuration
        other.modelPath = directory.appendingPathComponent("other.gguf").path
        #expect(SharedServer.find(at: stateFile, for: other) == nil)
        // Nor does a process whose pid the file names but which is not that model's server (a recycled pid).
        let stranger = SharedServer(pid: getpid(), port: ownerPort, modelPath: "/elsewhere/model.gguf", alias: configuration.alias)
        #expect(!stranger.isAlive)

        supervisor.cancel()
        _ = await supervisor.result
        for _ in 0..<100 where kill(own, 0) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(kill(own, 0) != 0, "its own server stops with it")
        #expect(!FileManager.default.fileExists(atPath: stateFile), "the state file goes with the server it names")
        try await client.shutdown()
    }

    @Test func aMissingRuntimeSaysToRunTheSetupScript() {
        let server = LocalModelServer(configuration: .init(home: "/nonexistent"), httpClient: .shared)
        let error = #expect(throws: ConfigurationProblem.self) { try server.checkInstalled() }
        #expect(error?.description.contains("scripts/setup-local-model") == true)
    }
}
