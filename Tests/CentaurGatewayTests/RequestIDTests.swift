import CentaurGateway
import Foundation
import Testing

@Suite("Request ids")
struct RequestIDTests {
    @Test("each request id is a distinct lower-case version-4 UUID")
    func requestIDs() {
        var seen = Set<String>()
        for _ in 0..<2_000 {
            let id = GatewayContext.newRequestID()
            let uuid = UUID(uuidString: id)
            #expect(uuid != nil, "\(id)")
            #expect(id == id.lowercased() && id.count == 36)
            #expect(Array(id)[14] == "4", "\(id)")
            #expect("89ab".contains(Array(id)[19]), "\(id)")
            seen.insert(id)
        }
        #expect(seen.count == 2_000)
        #expect(GatewayContext(route: "m").requestID != GatewayContext(route: "m").requestID)
    }
}
