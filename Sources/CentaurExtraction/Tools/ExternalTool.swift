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

        // The blocking reads and the wait run on threads of their own, never on Dispatch's shared workers:
        // many tools at once would otherwise exhaust the pool that Swift concurrency and other tasks use.
        return try await withCheckedThrowingContinuation { continuation in
            let exited = DispatchSemaphore(value: 0)
            process.terminationHandler = { _ in exited.signal() }
            do { try process.run() } catch {
                continuation.resume(throwing: ToolError(tool: name, message: "could not start \(name): \(error)"))
                return
            }
            let state = RunState()
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                if state.markTimedOut() { process.terminate() }
            }
            if let stdin {
                Thread {
                    try? input.fileHandleForWriting.write(contentsOf: stdin)
                    try? input.fileHandleForWriting.close()
                }.start()
            }
            let stderrDone = DispatchSemaphore(value: 0)
            let stderrBox = DataBox()
            Thread {
                stderrBox.data = err.fileHandleForReading.readDataToEndOfFile()
                stderrDone.signal()
            }.start()
            Thread { [name] in
                let stdout = out.fileHandleForReading.readDataToEndOfFile()
                stderrDone.wait()
                exited.wait()
                if state.finish() {
                    continuation.resume(returning: Output(status: process.terminationStatus, stdout: stdout, stderr: stderrBox.data))
                } else {
                    continuation.resume(throwing: ToolError(tool: name, message: "\(name) did not finish within \(Int(seconds)) s and was stopped"))
                }
            }.start()
        }
    }
}

/// Whether a run finished or timed out first.
private final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private var settled = false
    private var timedOut = false

    /// The timer fired before the run finished: the run is to be stopped.
    func markTimedOut() -> Bool { lock.withLock { if settled { return false }; timedOut = true; settled = true; return true } }

    /// The run finished; false when the timer had already fired.
    func finish() -> Bool { lock.withLock { if settled { return !timedOut }; settled = true; return true } }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
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

/// Runs CPU-heavy synchronous work (parsing a tool's large output, scanning page pixels) on a Dispatch
/// worker thread instead of Swift concurrency's few cooperative threads, which other tasks (an HTTP server,
/// the gateway) need to stay responsive.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// Limits on what one uploaded PDF may ask of the document tools, checked before any page is rendered: a small
/// file of thousands of blank pages must fail at once, not hold a worker for minutes.
public enum PDFLimits {
    /// The most pages a document may have (an I-9 has 4; a licence 1 or 2).
    public static let maximumPages = 12

    /// The page count `pdfinfo` reads; throws a ``DocumentError`` (never retried) when it is over the limit or unreadable.
    public static func check(_ document: Document, maximumPages: Int = maximumPages) async throws {
        guard document.format == .pdf else { return }
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let pdf = scratch.file("input.pdf")
        try document.data.write(to: pdf)
        let output = try await ExternalTool.pdfinfo.run([pdf.path], timeout: .seconds(20))
        let text = String(decoding: output.stdout, as: UTF8.self)
        guard output.status == 0, let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Pages:") }),
              let pages = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) else {
            throw DocumentError("\(document.name): the PDF cannot be read (\(output.stderrText.split(separator: "\n").first ?? "no page count"))")
        }
        guard pages <= maximumPages else {
            throw DocumentError("\(document.name) has \(pages) pages; a document may have at most \(maximumPages). Upload only the document's own pages.")
        }
    }
}
