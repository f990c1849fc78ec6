import CentaurCore
import CentaurTestSupport
import Foundation
import Testing

/// `centaur redact` through the built binary.
@Suite("centaur redact")
struct RedactCLITests {
    static func run(_ arguments: [String], input: String) async throws -> CLI.Result {
        try await CLI.run(arguments, input: input)
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
