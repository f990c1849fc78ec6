import AsyncHTTPClient
import CentaurCore
import Foundation
import Logging
import ServiceLifecycle

import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs llama.cpp's OpenAI-compatible server (`python -m llama_cpp.server`) on 127.0.0.1 as a supervised `Service`:
/// it starts the process, waits until `/v1/models` answers, restarts it when it dies, and stops it on shutdown.
///
/// One loaded model is shared: a server that started its own process writes where it listens to
/// ``Configuration/stateFile``, and another process with the same model (a CLI command while `centaur serve` runs)
/// uses that one instead of loading the model again (seconds per command). If the shared process goes away, the
/// borrower starts its own on the same port.
///
/// ```swift
/// let server = LocalModelServer(configuration: .init(home: ".centaur"), httpClient: .shared, logger: logger)
/// let group = ServiceGroup(services: [server], logger: logger)
/// // … then talk to `server.baseURL` with an OpenAICompatibleModel (flavor .llamaCpp)
/// ```
public final class LocalModelServer: Service, Sendable {
    public struct Configuration: Sendable, Hashable {
        /// The Python with llama-cpp-python installed (`scripts/setup-local-model` makes `.centaur/venv`).
        public var python: String
        /// The GGUF model file.
        public var modelPath: String
        /// The model name the server answers to.
        public var alias: String
        /// 0 picks a free port.
        public var port: Int
        public var contextSize: Int
        public var threads: Int
        /// The most time to wait for the server to load the model and answer.
        public var startupTimeout: Duration
        /// Where the server's output goes.
        public var logFile: String?
        /// Where a running server says where it listens, so that other processes share it (nil: not shared).
        public var stateFile: String?

        public init(
            python: String, modelPath: String, alias: String = LocalModelServer.defaultAlias, port: Int = 0,
            contextSize: Int = 4096, threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount),
            startupTimeout: Duration = .seconds(120), logFile: String? = nil, stateFile: String? = nil
        ) {
            self.python = python
            self.modelPath = modelPath
            self.alias = alias
            self.port = port
            self.contextSize = contextSize
            self.threads = threads
            self.startupTimeout = startupTimeout
            self.logFile = logFile
            self.stateFile = stateFile
        }

        /// The layout `scripts/setup-local-model` installs under `home` (default `.centaur`).
        public init(home: String, alias: String = LocalModelServer.defaultAlias, port: Int = 0) {
            self.init(
                python: "\(home)/venv/bin/python", modelPath: "\(home)/models/\(LocalModelServer.defaultModelFile)",
                alias: alias, port: port, logFile: "\(home)/logs/llama-server.log", stateFile: "\(home)/run/llama-server.json")
        }
    }

    public static let defaultAlias = "qwen2.5-coder-0.5b-instruct"
    public static let defaultModelFile = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"

    private enum Phase: Sendable {
        case idle
        case starting
        case ready
        case failed(String)
        case stopped
    }

    private struct State {
        var phase: Phase = .idle
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var restarts = 0
        var pid: Int32?
        var readyCount = 0
        var countWaiters: [(count: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        /// Using another process's server.
        var sharing = false
    }

    public let configuration: Configuration
    /// The port the server listens on.
    public let port: Int
    /// Another process's server for the same model, found when this one was made: used instead of a process of
    /// our own while it runs.
    private let shared: SharedServer?
    private let httpClient: HTTPClient
    private let logger: Logger
    private let state = Mutex(State())

    public init(configuration: Configuration, httpClient: HTTPClient, logger: Logger = .disabled) {
        self.configuration = configuration
        self.shared = configuration.stateFile.flatMap { SharedServer.find(at: $0, for: configuration) }
        self.port = shared?.port ?? (configuration.port == 0 ? Self.freePort() : configuration.port)
        self.httpClient = httpClient
        self.logger = logger
    }

    /// Whether this server is using another process's now.
    public var isShared: Bool { state.withLock { $0.sharing } }

    /// `http://127.0.0.1:PORT/v1`, the OpenAI-compatible API root.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// How many times the process was restarted after dying.
    public var restartCount: Int { state.withLock { $0.restarts } }

    /// The running server process's id, when there is one.
    public var processIdentifier: Int32? { state.withLock { $0.pid } }

    /// Waits until the server has become ready `count` times in all (so `2` waits for the first restart).
    public func waitUntilReady(count: Int) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Void, any Error>? in
                if state.readyCount >= count { return .success(()) }
                switch state.phase {
                case .failed(let reason): return .failure(ConfigurationProblem(reason))
                case .stopped: return .failure(ConfigurationProblem("the local model server has stopped"))
                default:
                    state.countWaiters.append((count, continuation))
                    return nil
                }
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Checks that the files the server needs exist; the error says how to install them.
    public func checkInstalled() throws {
        let manager = FileManager.default
        guard manager.isExecutableFile(atPath: configuration.python) else {
            throw ConfigurationProblem("the local model runtime is not installed (\(configuration.python) is missing): run scripts/setup-local-model")
        }
        guard manager.fileExists(atPath: configuration.modelPath) else {
            throw ConfigurationProblem("the local model file \(configuration.modelPath) is missing: run scripts/setup-local-model")
        }
    }

    /// Waits until the server answers, or throws why it could not start.
    public func waitUntilReady() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Void, any Error>? in
                switch state.phase {
                case .ready: return .success(())
                case .failed(let reason): return .failure(ConfigurationProblem(reason))
                case .stopped: return .failure(ConfigurationProblem("the local model server has stopped"))
                case .idle, .starting:
                    state.waiters.append(continuation)
                    return nil
                }
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    private func transition(to phase: Phase) {
        let (waiters, result) = state.withLock { state -> ([CheckedContinuation<Void, any Error>], Result<Void, any Error>?) in
            state.phase = phase
            if case .ready = phase {
                state.readyCount += 1
                let due = state.countWaiters.filter { $0.count <= state.readyCount }
                state.countWaiters.removeAll { $0.count <= state.readyCount }
                due.forEach { $0.continuation.resume() }
            }
            let result: Result<Void, any Error>? =
                switch phase {
                case .ready: .success(())
                case .failed(let reason): .failure(ConfigurationProblem(reason))
                case .stopped: .failure(ConfigurationProblem("the local model server has stopped"))
                default: nil
                }
            guard let result else { return ([], nil) }
            var waiters = state.waiters
            state.waiters = []
            if case .success = result {} else {
                waiters += state.countWaiters.map(\.continuation)
                state.countWaiters = []
            }
            return (waiters, result)
        }
        if let result { waiters.forEach { $0.resume(with: result) } }
    }

    /// Starts and supervises the process until graceful shutdown or cancellation.
    public func run() async throws {
        do {
            try checkInstalled()
        } catch {
            transition(to: .failed("\(error)"))
            throw error
        }
        var backoff: Duration = .milliseconds(500)
        defer { transition(to: .stopped) }
        if let shared, await useShared(shared) {
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            logger.warning("the shared local model server stopped; starting one of our own", metadata: ["port": "\(port)"])
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            transition(to: .starting)
            let process = try launch()
            let exit = ProcessExit(process)
            do {
                try await waitForHealth(exit: exit)
            } catch {
                stop(process)
                transition(to: .failed("the local model server did not start: \(error) (see \(configuration.logFile ?? "its output"))"))
                throw error
            }
            logger.info("local model server ready", metadata: ["port": "\(port)", "model": "\(configuration.alias)"])
            if let stateFile = configuration.stateFile {
                SharedServer(pid: process.processIdentifier, port: port, modelPath: configuration.modelPath, alias: configuration.alias).write(to: stateFile)
            }
            transition(to: .ready)
            backoff = .milliseconds(500)

            let exitedByItself = await withGracefulShutdownHandler {
                await withTaskCancellationHandler {
                    await exit.wait()
                } onCancel: {
                    self.stop(process)
                }
            } onGracefulShutdown: {
                self.stop(process)
            }
            if let stateFile = configuration.stateFile { SharedServer.remove(at: stateFile, pid: process.processIdentifier) }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            logger.warning("local model server exited; restarting", metadata: ["status": "\(exitedByItself)"])
            state.withLock { $0.restarts += 1 }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(10))
        }
    }

    /// Uses another process's server while it runs: ready once it answers, then watched until it goes away.
    /// Returns whether it was used (false: it did not answer in time, so start our own).
    private func useShared(_ shared: SharedServer) async -> Bool {
        var request = HTTPClientRequest(url: baseURL + "/models")
        request.method = .GET
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.startupTimeout
        var answered = false
        while !answered, clock.now < deadline, shared.isAlive, !Task.isCancelled {
            if let response = try? await httpClient.execute(request, timeout: .seconds(2)), response.status == .ok {
                _ = try? await response.body.collect(upTo: 1 << 20)
                answered = true
            } else {
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        guard answered else { return false }
        logger.info("using the local model server already running", metadata: ["port": "\(port)", "pid": "\(shared.pid)"])
        state.withLock { $0.sharing = true }
        defer { state.withLock { $0.sharing = false } }
        transition(to: .ready)
        await withGracefulShutdownHandler {
            while shared.isAlive, !Task.isCancelled, !Task.isShuttingDownGracefully {
                try? await Task.sleep(for: .milliseconds(500))
            }
        } onGracefulShutdown: {}
        return true
    }

    private func launch() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: configuration.python)
        process.arguments = [
            // `python -m llama_cpp.server`, through a launcher that unblocks SIGTERM and SIGINT and exits with its
            // parent (see `launcher`).
            "-c", Self.launcher,
            "--model", configuration.modelPath,
            "--model_alias", configuration.alias,
            "--host", "127.0.0.1",
            "--port", String(port),
            "--n_ctx", String(configuration.contextSize),
            "--n_threads", String(configuration.threads),
        ]
        if let logFile = configuration.logFile {
            let url = URL(fileURLWithPath: logFile)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: logFile, contents: nil)
            let handle = try FileHandle(forWritingTo: url)
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        state.withLock { $0.pid = process.processIdentifier }
        return process
    }

    private func waitForHealth(exit: ProcessExit) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.startupTimeout
        while clock.now < deadline {
            if exit.hasExited {
                throw ConfigurationProblem("the process exited with status \(exit.status ?? -1) while loading")
            }
            var request = HTTPClientRequest(url: baseURL + "/models")
            request.method = .GET
            if let response = try? await httpClient.execute(request, timeout: .seconds(2)), response.status == .ok {
                _ = try? await response.body.collect(upTo: 1 << 20)
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ConfigurationProblem("no answer on \(baseURL)/models within \(configuration.startupTimeout)")
    }

    /// Runs `llama_cpp.server` as `python -m` would, after two repairs. A child inherits its parent thread's blocked
    /// signals, and a process started from a Dispatch or test thread had SIGTERM blocked: `stop` then waited five
    /// seconds for SIGKILL (seen as a leftover server after a test). And a server whose parent died without stopping
    /// it (SIGKILL, a crash) would run on unsupervised, holding the model's memory: the launcher exits when its
    /// parent changes.
    static let launcher = """
        import os, runpy, signal, sys, threading, time
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        parent = os.getppid()
        def watch_parent():
            while os.getppid() == parent:
                time.sleep(1)
            os._exit(0)
        threading.Thread(target=watch_parent, daemon=True).start()
        sys.argv[0] = "llama_cpp.server"
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
        """

    /// Asks the process to stop, and kills it if it has not within five seconds.
    private func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let pid = process.processIdentifier
        // A thread of its own, not Dispatch's shared pool: with that pool's few threads blocked the timer never ran,
        // and a server that did not take SIGTERM was left running (seen in a CI run of the shared-server test).
        Thread {
            Thread.sleep(forTimeInterval: 5)
            if process.isRunning { kill(pid, SIGKILL) }
        }.start()
    }

    /// Asks the kernel for a free TCP port on 127.0.0.1.
    static func freePort() -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return 8765 }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : 8765
    }
}

/// Waits for a process to exit without blocking a thread.
final class ProcessExit: Sendable {
    private let state = Mutex<(exited: Bool, status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((false, nil, []))

    init(_ process: Process) {
        process.terminationHandler = { [self] process in
            let waiters = self.state.withLock { state -> [CheckedContinuation<Int32, Never>] in
                state.exited = true
                state.status = process.terminationStatus
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume(returning: process.terminationStatus) }
        }
        if !process.isRunning {
            state.withLock { $0.exited = true; $0.status = process.terminationStatus }
        }
    }

    var hasExited: Bool { state.withLock { $0.exited } }
    var status: Int32? { state.withLock { $0.status } }

    @discardableResult
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state -> Int32? in
                if state.exited { return state.status ?? -1 }
                state.waiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }
}

/// Where a running local model server listens, as its owner writes it to ``LocalModelServer/Configuration/stateFile``.
struct SharedServer: Codable, Sendable, Hashable {
    var pid: Int32
    var port: Int
    var modelPath: String
    var alias: String

    /// A live server for the same model and alias, or nil.
    static func find(at path: String, for configuration: LocalModelServer.Configuration) -> SharedServer? {
        guard let data = FileManager.default.contents(atPath: path),
            let server = try? JSONDecoder().decode(SharedServer.self, from: data),
            server.modelPath == configuration.modelPath, server.alias == configuration.alias,
            server.pid != getpid(), server.isAlive
        else { return nil }
        return server
    }

    /// Whether the process runs, and is still this model's server (a recycled pid is not).
    var isAlive: Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return true }  // no procfs: trust the pid
        return String(decoding: cmdline, as: UTF8.self).contains(modelPath)
    }

    /// Written whole (a temporary file renamed into place), readable by the owner only.
    func write(to path: String) {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard let data = try? JSONEncoder().encode(self) else { return }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        _ = rename(temporary.path, url.path)
    }

    /// Removes the file if it still names `pid` (another process may have written its own since).
    static func remove(at path: String, pid: Int32) {
        guard let data = FileManager.default.contents(atPath: path),
            let server = try? JSONDecoder().decode(SharedServer.self, from: data), server.pid == pid
        else { return }
        try? FileManager.default.removeItem(atPath: path)
    }
}
