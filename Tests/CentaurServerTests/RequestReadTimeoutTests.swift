import Foundation
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import CentaurServer
@testable import CentaurWeb

@Suite("Request read timeout")
struct RequestReadTimeoutTests {
    static func head() -> HTTPRequestPart {
        .head(HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/v1/chat/completions"))
    }

    @Test("a request whose body does not arrive in time closes its connection; one that does keeps it open")
    func trickledBody() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: RequestReadTimeoutHandler(timeout: .seconds(5)), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(Self.head())
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "{")))
        loop.advanceTime(by: .seconds(4))
        #expect(channel.isActive, "not yet")
        try channel.writeInbound(HTTPRequestPart.end(nil))
        loop.advanceTime(by: .seconds(10))
        #expect(channel.isActive, "the request arrived whole in time")
        // The parts pass through unchanged.
        #expect(try channel.readInbound(as: HTTPRequestPart.self) != nil)

        try channel.writeInbound(Self.head())
        loop.advanceTime(by: .seconds(6))
        #expect(!channel.isActive, "the second request's body never came")
    }
}

@Suite("Sliding-window limiter")
struct SlidingWindowLimiterTests {
    @Test("it says how long to wait once a key has used its allowance, and forgets keys whose events are all old")
    func forgets() {
        let limiter = SlidingWindowLimiter(window: 60, sweepAbove: 100)
        let start = Date()
        for n in 0..<150 { limiter.record("k\(n)", now: start) }
        #expect(limiter.keyCount == 150, "recent keys are kept")
        #expect(limiter.wait("k1", limit: 1, now: start.addingTimeInterval(10)) == 50)
        #expect(limiter.wait("k1", limit: 2, now: start.addingTimeInterval(10)) == nil)
        limiter.record("late", now: start.addingTimeInterval(120))
        #expect(limiter.keyCount == 1, "a sweep dropped the 150 stale keys")
        #expect(limiter.wait("late", limit: 1, now: start.addingTimeInterval(121)) == 59)
    }
}
