import CentaurCore
import Foundation
import Testing

@testable import CentaurProviders

/// SigV4 signatures compared with botocore's for the same requests (vectors from scripts/generate-sigv4-vectors.py).
struct SigV4Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let json: JSONValue
        var testDescription: String { json["name"]?.stringValue ?? "?" }
    }

    static let vectors: [Vector] = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/bedrock/sigv4-vectors.json")
        let root = try! JSONValue(parsing: Data(contentsOf: url))
        return root["vectors"]!.arrayValue!.map(Vector.init)
    }()

    @Test("our signature equals botocore's", arguments: vectors)
    func matchesBotocore(vector: Vector) throws {
        let v = vector.json
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let date = try #require(formatter.date(from: v["timestamp"]!.stringValue!))
        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyID: v["access_key"]!.stringValue!, secretAccessKey: v["secret_key"]!.stringValue!,
                sessionToken: v["token"]?.stringValue),
            region: v["region"]!.stringValue!, service: "bedrock")
        let headers = (v["headers"]?.objectValue ?? [:]).map { ($0.key, $0.value.stringValue!) }
        let signature = signer.sign(
            method: v["method"]!.stringValue!, url: v["url"]!.stringValue!, headers: headers,
            body: Data(v["body"]!.stringValue!.utf8), date: date)
        let expected = v["expected"]!
        #expect(signature.canonicalRequest == expected["canonical_request"]?.stringValue)
        #expect(signature.stringToSign == expected["string_to_sign"]?.stringValue)
        #expect(signature.authorization == expected["authorization"]?.stringValue)
        let token = signature.headers.first { $0.name == "X-Amz-Security-Token" }?.value
        #expect(token == expected["x-amz-security-token"]?.stringValue)
    }

    @Test func theVectorsCoverASessionTokenAQueryAndAColonInTheModelId() {
        let all = Self.vectors.map(\.json)
        #expect(all.contains { $0["token"]?.stringValue != nil })
        #expect(all.contains { $0["url"]?.stringValue?.contains("?") == true })
        #expect(all.contains { $0["url"]?.stringValue?.contains("%3A") == true })
    }
}

struct EventStreamTests {
    @Test func decodesEveryFrameOfARecordedStreamFedByteByByte() throws {
        let data = try fixture("bedrock/stream-text.eventstream")
        var decoder = EventStreamDecoder()
        var messages: [EventStreamMessage] = []
        for byte in data { messages += try decoder.feed([byte]) }
        try decoder.finish()
        #expect(messages.map { $0.header(":event-type") } == ["messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"])
        #expect(messages.allSatisfy { $0.header(":message-type") == "event" })
    }

    @Test func encodingThenDecodingGivesTheSameMessages() throws {
        let message = EventStreamMessage(
            headers: [(":event-type", .string("chunk")), ("flag", .bool(true)), ("n", .int(-7)), ("big", .long(1 << 40)), ("raw", .bytes(Data([0, 1, 2])))],
            payload: Data("{\"a\":1}".utf8))
        var decoder = EventStreamDecoder()
        #expect(try decoder.feed(message.encoded()) == [message])
    }

    @Test func ourEncoderProducesTheRecordedBytes() throws {
        let data = try fixture("bedrock/stream-throttled.eventstream")
        var decoder = EventStreamDecoder()
        let messages = try decoder.feed(data)
        #expect(messages.map { $0.encoded() }.reduce(Data(), +) == data)
    }

    @Test func aCorruptPayloadFailsTheMessageChecksum() throws {
        var data = try fixture("bedrock/stream-text.eventstream")
        data[40] ^= 0x01
        var decoder = EventStreamDecoder()
        let error = #expect(throws: EventStreamError.self) { try decoder.feed(data) }
        #expect(error?.description.contains("message checksum mismatch") == true)
    }

    @Test func aCorruptLengthFailsThePreludeChecksum() throws {
        var data = try fixture("bedrock/stream-text.eventstream")
        data[2] ^= 0x10
        var decoder = EventStreamDecoder()
        let error = #expect(throws: EventStreamError.self) { try decoder.feed(data) }
        #expect(error?.description.contains("prelude checksum mismatch") == true)
    }

    @Test func aTruncatedStreamIsReportedAtTheEnd() throws {
        let data = try fixture("bedrock/stream-text.eventstream")
        var decoder = EventStreamDecoder()
        let messages = try decoder.feed(data.dropLast(5))
        #expect(messages.count == 5)
        #expect(throws: EventStreamError.self) { try decoder.finish() }
    }
}

struct ServerSentEventParserTests {
    @Test func handlesSplitLinesCommentsMultilineDataAndCRLF() {
        var parser = ServerSentEventParser()
        var events = parser.feed(Array("event: a\r\ndata: one\r\ndata: two\r\n\r\n: comment\n\nda".utf8))
        events += parser.feed(Array("ta: {\"x\":1}\n\nevent: b\ndata:no-space".utf8))
        if let last = parser.finish() { events.append(last) }
        #expect(events == [
            ServerSentEvent(event: "a", data: "one\ntwo"),
            ServerSentEvent(event: nil, data: "{\"x\":1}"),
            ServerSentEvent(event: "b", data: "no-space"),
        ])
    }
}

struct AWSCredentialChainTests {
    @Test func environmentVariablesWinAndCarryTheSessionToken() throws {
        let chain = AWSCredentialChain(environment: ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "T", "AWS_REGION": "eu-west-1"], homeDirectory: "/nonexistent")
        #expect(try chain.credentials() == AWSCredentials(accessKeyID: "AK", secretAccessKey: "SK", sessionToken: "T"))
        #expect(chain.region() == "eu-west-1")
    }

    @Test func sharedFilesAreReadForTheSelectedProfile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n[work]\naws_access_key_id = W\naws_secret_access_key = WS\naws_session_token = WT\n"
            .write(to: dir.appendingPathComponent(".aws/credentials"), atomically: true, encoding: .utf8)
        try "[profile work]\nregion = ap-southeast-2\n".write(to: dir.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
        let chain = AWSCredentialChain(environment: ["AWS_PROFILE": "work"], homeDirectory: dir.path)
        #expect(try chain.credentials() == AWSCredentials(accessKeyID: "W", secretAccessKey: "WS", sessionToken: "WT"))
        #expect(chain.region() == "ap-southeast-2")
    }

    @Test func missingCredentialsSayWhereTheyWereLookedFor() {
        let chain = AWSCredentialChain(environment: [:], homeDirectory: "/nonexistent")
        let error = #expect(throws: ConfigurationProblem.self) { try chain.credentials() }
        #expect(error?.description.contains("AWS_ACCESS_KEY_ID") == true)
    }
}

struct ReplayModelTests {
    @Test func recordsThenReplaysWithoutTheWrappedModel() async throws {
        let cassette = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)/cassette.jsonl")
        defer { try? FileManager.default.removeItem(at: cassette.deletingLastPathComponent()) }
        let live = CountingModel()
        let recorder = try ReplayModel(cassette: cassette, mode: .record(live))
        var request = ModelRequest(model: "any", messages: [.user("What is 2+2?")])
        let first = try await recorder.respond(to: request)
        _ = try await recorder.respond(to: request)
        #expect(live.calls == 1)

        let replay = try ReplayModel(cassette: cassette)
        request.metadata = ["feature": "tags do not change the key"]
        request.model = "another-alias"
        #expect(try await replay.respond(to: request) == first)
        #expect(try await replay.stream(request).collect().text == first.text)

        let unknown = ModelRequest(model: "any", messages: [.user("something else")])
        let error = await #expect(throws: ModelError.self) { try await replay.respond(to: unknown) }
        #expect(error?.kind == .notFound)
    }

    @Test func aMissingCassetteIsAClearError() {
        #expect(throws: ConfigurationProblem.self) { try ReplayModel(cassette: URL(fileURLWithPath: "/nonexistent/c.jsonl")) }
    }
}

/// Answers with the number of calls so far, counting them.
final class CountingModel: LanguageModel, @unchecked Sendable {
    // Only touched from the tests' sequential awaits; the lock makes concurrent use safe too.
    private let lock = NSLock()
    private var count = 0
    let provider = "counting"
    var calls: Int { lock.withLock { count } }

    func respond(to request: ModelRequest) async throws -> ModelResponse {
        let n = lock.withLock { count += 1; return count }
        return ModelResponse(model: "counting", content: [.text("answer \(n)")], stopReason: .endTurn, usage: Usage(inputTokens: 5, outputTokens: 2))
    }

    func stream(_ request: ModelRequest) -> ModelStream {
        .producing { continuation in
            for event in try await self.respond(to: request).streamEvents { continuation.yield(event) }
        }
    }
}
