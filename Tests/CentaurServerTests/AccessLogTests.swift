import CentaurGateway
import CentaurServer
import CentaurTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization
import Testing

/// A log handler that keeps what it is given.
final class CapturedLog: Sendable {
    struct Line: Sendable {
        let message: String
        let metadata: [String: String]
    }

    let lines = Mutex<[Line]>([])

    var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            log.lines.withLock { $0.append(Line(message: message.description, metadata: all)) }
        }
    }
}

struct AccessLogTests {
    @Test("every request leaves one access line (id, method, route template, status, latency) and never a token, key or body")
    func oneLinePerRequest() async throws {
        let log = CapturedLog()
        let secretToken = "tok_SECRETLINKTOKEN1234"
        let body = #"{"model":"unknown-model","messages":[{"role":"user","content":"my SSN is 536-22-1947"}]}"#
        let seen = NIOLockedValueBox<[String]>([]), keys = NIOLockedValueBox("")
        try await WebTests.withServer(logger: log.logger) { http, components in
            let key = try await components.keys.create(name: "app", team: nil, scope: .admin).secret
            let health = try await http.execute(uri: "/healthz", method: .get)
            let chat = try await http.execute(uri: "/v1/chat/completions?debug=\(secretToken)", method: .post,
                                              headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                                              body: ByteBuffer(string: body))
            let applicant = try await http.execute(uri: "/apply/\(secretToken)", method: .get)
            let nothing = try await http.execute(uri: "/no/such/\(secretToken)", method: .get)
            #expect(health.status == .ok && chat.status == .notFound && applicant.status == .notFound && nothing.status == .notFound)
            seen.withLockedValue { $0 = [health, chat, applicant, nothing].compactMap { $0.headers[HTTPField.Name("x-request-id")!] } }
            keys.withLockedValue { $0 = key }
        }
        let ids = seen.withLockedValue { $0 }
        let key = keys.withLockedValue { $0 }
        let lines = log.lines.withLock { $0 }.filter { $0.message == "request" }
        #expect(lines.count == 4)
        #expect(ids.count == 4 && Set(ids).count == 4, "every response names its request")
        #expect(lines.map { $0.metadata["request.id"] ?? "" } == ids)
        #expect(lines.map { $0.metadata["http.route"] ?? "" } == ["/healthz", "/v1/chat/completions", "/apply/{token}", "NotFound"])
        #expect(lines.map { $0.metadata["http.status"] ?? "" } == ["200", "404", "404", "404"])
        #expect(lines.allSatisfy { $0.metadata["http.method"] != nil && Double($0.metadata["latency.ms"] ?? "") != nil })
        let everything = log.lines.withLock { $0 }.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        for secret in [secretToken, key, "536-22-1947", "my SSN"] {
            #expect(!everything.contains(secret), "\(secret) reached the log")
        }
    }
}
