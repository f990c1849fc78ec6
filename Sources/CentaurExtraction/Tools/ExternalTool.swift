import Foundation

/// Runs the Debian document tools (`tesseract`, `pdftotext`, `pdftoppm`, `qpdf`, `ZXingReader`, `ZXingWriter`)
/// as child processes, without blocking Swift concurrency's threads, with a time limit, and with an error
/// that says how to install a missing tool.
public struct ExternalTool: Sendable {
    public let name: String
    /// The Debian package that provides it (for the error message).
    public let package: String
    /// A full path that overrides the `PATH` search (a program of our own, in tests).
    public var explicitPath: String?

    public init(name: String, package: String, explicitPath: String? = nil) {
        self.name = name
        self.package = package
        self.explicitPath = explicitPath
    }

    public static let tesseract = ExternalTool(name: "tesseract", package: "tesseract-ocr")
    public static let pdftotext = ExternalTool(name: "pdftotext", package: "poppler-utils")
    public static let pdftoppm = ExternalTool(name: "pdftoppm", package: "poppler-utils")
    public static let pdfinfo = ExternalTool(name: "pdfinfo", package: "poppler-utils")
    public static let qpdf = ExternalTool(name: "qpdf", package: "qpdf")
    public static let zxingReader = ExternalTool(name: "ZXingReader", package: "zxing-cpp-tools")
    public static let zxingWriter = ExternalTool(name: "ZXingWriter", package: "zxing-cpp-tools")

    public struct Output: Sendable {
        public let status: Int32
        public let stdout: Data
        public let stderr: Data
        public var stderrText: String { String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The tool's full path, searched on `PATH`, or nil when it is not installed.
    public var path: String? {
        if let explicitPath { return FileManager.default.isExecutableFile(atPath: explicitPath) ? explicitPath : nil }
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for directory in directories {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public var isInstalled: Bool { path != nil }

    /// Runs the tool; a non-zero exit is returned, not thrown (some tools use it for "nothing found").
    public func run(_ arguments: [String], stdin: Data? = nil, timeout: Duration = .seconds(120)) async throws -> Output {
        guard let path else {
            throw ToolError(tool: name, message: "\(name) is not installed: run scripts/setup-system (Debian package \(package))")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_THREAD_LIMIT"] = environment["OMP_THREAD_LIMIT"] ?? "1" // tesseract: no thread oversubscription
        process.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input

        return try await withCheckedThrowingContinuation { continuation in
            let group = DispatchGroup()
            let box = OutputBox()
            group.enter(); group.enter(); group.enter()
            process.terminationHandler = { _ in group.leave() }
            do { try process.run() } catch {
                continuation.resume(throwing: ToolError(tool: name, message: "could not start \(name): \(error)"))
                return
            }
            DispatchQueue.global().async { box.setStdout(out.fileHandleForReading.readDataToEndOfFile()); group.leave() }
            DispatchQueue.global().async { box.setStderr(err.fileHandleForReading.readDataToEndOfFile()); group.leave() }
            if let stdin {
                DispatchQueue.global().async {
                    try? input.fileHandleForWriting.write(contentsOf: stdin)
                    try? input.fileHandleForWriting.close()
                }
            }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().async {
                if group.wait(timeout: .now() + seconds) == .timedOut {
                    process.terminate()
                    group.wait()
                    continuation.resume(throwing: ToolError(tool: name, message: "\(name) did not finish within \(Int(seconds)) s and was stopped"))
                    return
                }
                continuation.resume(returning: Output(status: process.terminationStatus, stdout: box.stdout, stderr: box.stderr))
            }
        }
    }
}

private final class OutputBox: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()
    func setStdout(_ data: Data) { lock.withLock { out = data } }
    func setStderr(_ data: Data) { lock.withLock { err = data } }
    var stdout: Data { lock.withLock { out } }
    var stderr: Data { lock.withLock { err } }
}

/// A document tool that is missing, failed or timed out.
public struct ToolError: Error, CustomStringConvertible, Sendable {
    public let tool: String
    public let message: String
    public var description: String { message }
}

/// A scratch directory removed when the work is done.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
