import CentaurCore
import CentaurTestSupport
import Foundation
import Testing

/// `centaur redact` through the built binary.
@Suite("centaur redact")
struct RedactCLITests {
    static var binary: URL {
        URL(fileURLWithPath: CentaurBinary.path(repository: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()))
    }

    /// Runs the binary on its own thread (never blocking the test's executor).
    static func run(_ arguments: [String], input: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    let process = Process()
                    process.executableURL = binary
                    process.arguments = arguments
                    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
                    process.standardInput = stdin
                    process.standardOutput = stdout
                    process.standardError = stderr
                    try process.run()
                    stdin.fileHandleForWriting.write(Data(input.utf8))
                    try stdin.fileHandleForWriting.close()
                    let out = stdout.fileHandleForReading.readDataToEndOfFile()
                    let err = stderr.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }

    @Test("findings as JSON, redacted text in each mode, clear errors")
    func cli() async throws {
        let json = try await Self.run(["redact", "--json"], input: "Email jane.roe@example.com or call (312) 555-0183")
        #expect(json.status == 0)
        let findings = try JSONValue(parsing: json.stdout).arrayValue ?? []
        #expect(findings.map { $0["type"] } == ["EMAIL_ADDRESS", "PHONE_NUMBER"])
        #expect(findings.first?["start"] == 6 && findings.first?["end"] == 26 && findings.first?["text"] == "jane.roe@example.com")
        #expect(try await Self.run(["redact"], input: "SSN 536-22-1947\n").stdout == "SSN <US_SSN>\n")
        #expect(try await Self.run(["redact", "--mode", "tokenize"], input: "536-22-1947 and 536-22-1947").stdout == "<US_SSN_1> and <US_SSN_1>\n")
        #expect(try await Self.run(["redact", "--types", "US_SSN"], input: "Jane Roe, SSN 536-22-1947").stdout == "Jane Roe, SSN <US_SSN>\n")
        let bad = try await Self.run(["redact", "--mode", "shred"], input: "x")
        #expect(bad.status != 0 && bad.stderr.contains("--mode must be one of"))
        let badType = try await Self.run(["redact", "--types", "DNA"], input: "x")
        #expect(badType.status != 0 && badType.stderr.contains("unknown type 'DNA'"))
    }
}
