import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import CentaurServer

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
