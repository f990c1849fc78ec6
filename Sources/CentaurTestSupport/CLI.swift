import CentaurCore
import Foundation
import Synchronization

/// Runs the built `centaur` executable, as a user would: in the repository root, with `CENTAUR_HOME` set to where
/// the local model lives, on a thread of its own (waiting never blocks the test runner's few threads).
public enum CLI {
    /// Beside the test bundle (any build folder), else `.build/debug/centaur`.
    public static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("centaur")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return Repository.root.appendingPathComponent(".build/debug/centaur")
    }

    public struct Result: Sendable {
        public let status: Int32
        public let stdoutData: Data
        public let stderrData: Data
        public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
        public var stderr: String { String(decoding: stderrData, as: UTF8.self) }
        /// Standard error without surrounding white space, for messages.
        public var stderrText: String { stderr.trimmingCharacters(in: .whitespacesAndNewlines) }
        /// Standard output parsed as JSON.
        public func json() throws -> JSONValue { try JSONValue(parsing: stdoutData) }
    }

    /// Runs `centaur ARGUMENTS`, feeding `input` on standard input; killed after `timeout`.
    public static func run(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:],
                           timeout: Duration = .seconds(300)) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Swift.Result { try runBlocking(arguments, input: input, environment: environment, timeout: timeout) })
            }.start()
        }
    }

    public static func run(_ arguments: [String], input: String, environment: [String: String] = [:]) async throws -> Result {
        try await run(arguments, input: Data(input.utf8), environment: environment)
    }

    private static func runBlocking(_ arguments: [String], input: Data?, environment: [String: String], timeout: Duration) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = Repository.root
        var merged = ProcessInfo.processInfo.environment
        merged["CENTAUR_HOME"] = LocalModel.home
        merged.merge(environment) { $1 }
        process.environment = merged
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        if let input {
            Thread {
                stdin.fileHandleForWriting.write(input)
                try? stdin.fileHandleForWriting.close()
            }.start()
        }
        let pid = process.processIdentifier
        let finished = Flag()
        Thread {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline, !finished.isSet { Thread.sleep(forTimeInterval: 0.1) }
            if !finished.isSet { kill(pid, SIGKILL) }
        }.start()
        let err = ErrorCollector(stderr.fileHandleForReading)
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        finished.set()
        return Result(status: process.terminationStatus, stdoutData: out, stderrData: err.wait())
    }
}

/// Reads a pipe to its end on a thread of its own, so a child that fills standard error never blocks.
private final class ErrorCollector: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let data = Mutex(Data())

    init(_ handle: FileHandle) {
        Thread { [self] in
            let read = handle.readDataToEndOfFile()
            data.withLock { $0 = read }
            done.signal()
        }.start()
    }

    func wait() -> Data {
        done.wait()
        return data.withLock { $0 }
    }
}

/// A flag set once, read from other threads.
private final class Flag: Sendable {
    private let state = Mutex(false)
    var isSet: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}
