import Foundation
import Synchronization

/// Runs the Debian document tools (`tesseract`, `pdftotext`, `pdftoppm`, `qpdf`, `ZXingReader`, `ZXingWriter`)
/// as child processes, without blocking Swift concurrency's threads, with a time limit, and with an error
/// that says how to install a missing tool.
public struct Subprocess: Sendable {
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

    public static let tesseract = Subprocess(name: "tesseract", package: "tesseract-ocr")
    public static let pdftotext = Subprocess(name: "pdftotext", package: "poppler-utils")
    public static let pdftoppm = Subprocess(name: "pdftoppm", package: "poppler-utils")
    public static let pdfinfo = Subprocess(name: "pdfinfo", package: "poppler-utils")
    public static let qpdf = Subprocess(name: "qpdf", package: "qpdf")
    public static let zxingReader = Subprocess(name: "ZXingReader", package: "zxing-cpp-tools")
    public static let zxingWriter = Subprocess(name: "ZXingWriter", package: "zxing-cpp-tools")

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
            throw SubprocessError(tool: name, message: "\(name) is not installed: run scripts/setup-system (Debian package \(package))")
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
                continuation.resume(throwing: SubprocessError(tool: name, message: "could not start \(name): \(error)"))
                return
            }
            let pid = process.processIdentifier
            SubprocessCleanup.started(pid)
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
                SubprocessCleanup.finished(pid)
                // Stopped because the command is being stopped by a signal: the handler exits the process with the
                // signal's status within moments; reporting a failed tool first would make it exit 1 instead.
                if SubprocessCleanup.isStopping { Thread.sleep(forTimeInterval: 10) }
                if state.finish() {
                    continuation.resume(returning: Output(status: process.terminationStatus, stdout: stdout, stderr: stderrBox.data))
                } else {
                    continuation.resume(throwing: SubprocessError(tool: name, message: "\(name) did not finish within \(Int(seconds)) s and was stopped"))
                }
            }.start()
        }
    }
}

/// Whether a run finished or timed out first.
private final class RunState: Sendable {
    private let state = Mutex((settled: false, timedOut: false))

    /// The timer fired before the run finished: the run is to be stopped.
    func markTimedOut() -> Bool {
        state.withLock { state in
            if state.settled { return false }
            state = (settled: true, timedOut: true)
            return true
        }
    }

    /// The run finished; false when the timer had already fired.
    func finish() -> Bool {
        state.withLock { state in
            if state.settled { return !state.timedOut }
            state.settled = true
            return true
        }
    }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// A document tool that is missing, failed or timed out.
public struct SubprocessError: Error, CustomStringConvertible, Sendable {
    public let tool: String
    public let message: String
    public var description: String { message }
}

/// A scratch directory removed when the work is done.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        SubprocessCleanup.created(url.path)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func remove() {
        try? FileManager.default.removeItem(at: url)
        SubprocessCleanup.removed(url.path)
    }
}

/// The document tools running now and the scratch folders that exist now, so that a command stopped by a
/// signal (Ctrl-C, SIGTERM, a closed terminal) stops them and removes them instead of leaving `pdftoppm` running
/// and page images in the temporary folder. ``installSignalHandlers()`` is called by the one-shot commands
/// (`centaur extract`); `centaur serve` stops gracefully instead and lets the current documents finish.
public enum SubprocessCleanup {
    private struct State {
        var processes: Set<Int32> = []
        var folders: Set<String> = []
        /// Set by ``cleanUp()``: a tool that starts afterwards (it was being started as the signal came) is
        /// stopped at once.
        var stopping = false
    }
    private static let state = Mutex(State())
    private static let sources = Mutex<[any DispatchSourceSignal]>([])

    static func started(_ pid: Int32) {
        let stopping = state.withLock { state in
            state.processes.insert(pid)
            return state.stopping
        }
        if stopping { kill(pid, SIGKILL) }
    }
    static func finished(_ pid: Int32) { _ = state.withLock { $0.processes.remove(pid) } }
    static func created(_ folder: String) { _ = state.withLock { $0.folders.insert(folder) } }
    static func removed(_ folder: String) { _ = state.withLock { $0.folders.remove(folder) } }

    /// Whether ``cleanUp()`` has run: the command is exiting.
    static var isStopping: Bool { state.withLock { $0.stopping } }

    /// Tools running and scratch folders alive (for tests).
    public static var active: (processes: Int, folders: Int) { state.withLock { ($0.processes.count, $0.folders.count) } }

    /// Stops every running tool and removes every scratch folder (for a process about to exit: tools started
    /// afterwards are stopped at once), then waits (up to two seconds) until the tools
    /// are gone, so that a command that exits after this leaves none running behind it.
    public static func cleanUp() {
        let (processes, folders) = state.withLock { state in
            defer { state = State(stopping: true) }
            return (state.processes, state.folders)
        }
        for pid in processes { kill(pid, SIGKILL) }
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
        // A tool being started right now registers within moments and is stopped by `started`; wait for it too.
        usleep(50_000)
        let late = state.withLock { $0.processes }
        for pid in late { kill(pid, SIGKILL) }
        let deadline = Date().addingTimeInterval(2)
        for pid in processes.union(late) {
            // kill(pid, 0) fails once the process is gone and reaped (Foundation's Process reaps its children).
            while kill(pid, 0) == 0, Date() < deadline { usleep(10_000) }
        }
        for folder in state.withLock({ $0.folders }) { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// On SIGINT, SIGTERM or SIGHUP: clean up, then exit with 128 + the signal's number, as a shell reports it.
    public static func installSignalHandlers() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM, SIGHUP] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    cleanUp()
                    exit(128 + number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}

/// Runs CPU-heavy synchronous work (parsing a tool's large output, scanning page pixels) on a Dispatch
/// worker thread instead of Swift concurrency's few cooperative threads, which other tasks (an HTTP server,
/// the gateway) need to stay responsive.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// What a document may be before any tool reads it: pages and page size for PDFs, pixels for images. Each limit
/// fails at once with a ``DocumentError`` (never retried) that tells the applicant what to send instead.
public enum PDFLimits {
    /// The most pages a document may have (an I-9 has 4; a licence 1 or 2).
    public static let maximumPages = 12
    /// The longest side of a PDF page, in points: 24 inches (a licence or a letter page is well under).
    public static let maximumPagePoints = 1728.0
    /// The most pixels an image may have: 40 million (a phone's 12-megapixel photo passes; a pixel bomb does not).
    public static let maximumImagePixels = 40_000_000

    /// Checks the page count and page sizes `pdfinfo` reads, or the pixel size in an image's header.
    public static func check(_ document: Document, maximumPages: Int = maximumPages) async throws {
        switch document.format {
        case .pdf: try await checkPDF(document, maximumPages: maximumPages)
        default:
            if let size = ImageSize.of(document.data), size.width * size.height > maximumImagePixels {
                throw DocumentError("\(document.name) is \(size.width) × \(size.height) pixels; an image may have at most "
                    + "\(maximumImagePixels / 1_000_000) million. Send a smaller photo or scan.")
            }
        }
    }

    static func checkPDF(_ document: Document, maximumPages: Int) async throws {
        let (pages, text) = try await PDFPages.info(document, maximumPages: maximumPages)
        guard pages <= maximumPages else {
            throw DocumentError("\(document.name) has \(pages) pages; a document may have at most \(maximumPages). Upload only the document's own pages.")
        }
        // "Page    1 size: 612 x 792 pts (letter)"
        for line in text.split(separator: "\n") where line.hasPrefix("Page ") && line.contains(" size: ") {
            let numbers = line.split(separator: ":", maxSplits: 1).last?.split(separator: " ").compactMap { Double($0) } ?? []
            guard numbers.count >= 2 else { continue }
            if max(numbers[0], numbers[1]) > maximumPagePoints {
                throw DocumentError("\(document.name) has a page of \(Int(numbers[0])) × \(Int(numbers[1])) points; a page may be at most "
                    + "\(Int(maximumPagePoints / 72)) inches on a side. Scan or export the document at its own size.")
            }
        }
    }
}

/// A PDF's pages as images for people to look at: the review and applicant pages show each page of a stored PDF
/// (which passed `PDFLimits` on upload), rendered on request.
public enum PDFPages {
    /// The resolution pages are shown at: a letter page is 816 × 1056 pixels.
    public static let displayDPI = 96

    /// The number of pages.
    public static func count(_ document: Document) async throws -> Int {
        try await info(document, maximumPages: 1).pages
    }

    /// Page `page` (from 1) as a PNG.
    public static func png(_ document: Document, page: Int) async throws -> Data {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let pdf = scratch.file("input.pdf"), prefix = scratch.file("page")
        try document.data.write(to: pdf)
        let output = try await Subprocess.pdftoppm.run(["-r", String(displayDPI), "-png", "-f", String(page), "-l", String(page), "-singlefile",
                                                          pdf.path, prefix.path], timeout: .seconds(20))
        guard output.status == 0, let data = try? Data(contentsOf: URL(fileURLWithPath: prefix.path + ".png")) else {
            throw SubprocessError(tool: "pdftoppm", message: "pdftoppm could not render page \(page) of \(document.name): \(output.stderrText)")
        }
        return data
    }

    /// `pdfinfo`'s page count and its text (with the sizes of the first `maximumPages` pages).
    static func info(_ document: Document, maximumPages: Int) async throws -> (pages: Int, text: String) {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let pdf = scratch.file("input.pdf")
        try document.data.write(to: pdf)
        let output = try await Subprocess.pdfinfo.run(["-f", "1", "-l", String(maximumPages), pdf.path], timeout: .seconds(20))
        let text = String(decoding: output.stdout, as: UTF8.self)
        guard output.status == 0, let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Pages:") }),
              let pages = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) else {
            throw DocumentError("\(document.name): the PDF cannot be read (\(output.stderrText.split(separator: "\n").first ?? "no page count"))")
        }
        return (pages, text)
    }
}
