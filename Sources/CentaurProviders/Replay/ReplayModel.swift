import CentaurCore
import Crypto
import Foundation
import Synchronization

/// Serves recorded answers from a JSONL cassette, for deterministic tests and demos with no provider.
///
/// Each line of the cassette is one ``Recording``: the request's key (a SHA-256 of its normalised JSON),
/// the request, and the response. In ``Mode/record(_:)`` the model passes requests it has no recording
/// for to the wrapped model and appends what it answers.
public final class ReplayModel: LanguageModel {
    public enum Mode: Sendable {
        /// Answer only from the cassette; a request with no recording fails with ``ModelError/Kind/notFound``.
        case replay
        /// Answer from the cassette when it can; otherwise ask `model` and record its answer.
        case record(any LanguageModel)
    }

    /// One line of a cassette.
    public struct Recording: Codable, Sendable {
        public var key: String
        public var request: ModelRequest
        public var response: ModelResponse
    }

    public let provider = "replay"
    public let cassette: URL
    private let mode: Mode
    private let recordings: Mutex<[String: ModelResponse]>

    /// Opens a cassette; in replay mode it must exist.
    public init(cassette: URL, mode: Mode = .replay) throws {
        self.cassette = cassette
        self.mode = mode
        var loaded: [String: ModelResponse] = [:]
        if FileManager.default.fileExists(atPath: cassette.path) {
            let text = try String(contentsOf: cassette, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
                do {
                    let recording = try JSONDecoder().decode(Recording.self, from: Data(line.utf8))
                    loaded[recording.key] = recording.response
                } catch let error as DecodingError {
                    throw ConfigurationProblem("cassette \(cassette.path) line \(number + 1) is not a recording: \(error.readableDescription)")
                }
            }
        } else if case .replay = mode {
            throw ConfigurationProblem("cassette \(cassette.path) does not exist; record one first (replay provider with mode: record)")
        }
        self.recordings = Mutex(loaded)
    }

    /// The key a request is recorded under: a SHA-256 of its JSON with sorted keys, without metadata tags
    /// (tags do not change the answer) and with the model name left out (so a cassette serves any alias).
    public static func key(for request: ModelRequest) -> String {
        var normalised = request
        normalised.metadata = [:]
        normalised.model = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(normalised)) ?? Data()
        return SHA256.hash(data: data).hexString
    }

    /// How many recordings the cassette holds.
    public var count: Int { recordings.withLock { $0.count } }

    public func respond(to request: ModelRequest) async throws -> ModelResponse {
        let key = Self.key(for: request)
        if let recorded = recordings.withLock({ $0[key] }) { return recorded }
        guard case .record(let model) = mode else {
            throw ModelError(
                kind: .notFound,
                message: "no recording for this request (key \(key.prefix(12))…) in \(cassette.lastPathComponent); record it with the replay provider's record mode",
                provider: provider)
        }
        let response = try await model.respond(to: request)
        try append(Recording(key: key, request: request, response: response))
        return response
    }

    public func stream(_ request: ModelRequest) -> ModelStream {
        .producing { continuation in
            let response = try await self.respond(to: request)
            for event in response.streamEvents { continuation.yield(event) }
        }
    }

    private func append(_ recording: Recording) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(recording)
        line.append(UInt8(ascii: "\n"))
        try recordings.withLock { recordings in
            let manager = FileManager.default
            try manager.createDirectory(at: cassette.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !manager.fileExists(atPath: cassette.path) { manager.createFile(atPath: cassette.path, contents: nil) }
            let handle = try FileHandle(forWritingTo: cassette)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
            recordings[recording.key] = recording.response
        }
    }
}
