import CentaurGateway
import CentaurStore
import CentaurTestSupport
import Foundation
import Synchronization
import Testing

@Suite("API keys")
struct APIKeyServiceTests {
    @Test("a key is named and stamped by the sources given; it verifies until revoked, then not")
    func injectedClockAndID() async throws {
        let store = InMemoryStore()
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let service = APIKeyService(store: store, now: { clock.withLock { $0 } }, newID: { "key_fixed" })
        let (secret, record) = try await service.create(name: "ci", team: "platform", scope: .gateway)
        #expect(record.id == "key_fixed" && record.createdAt == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(secret.hasPrefix("ctr_") && record.hash != secret, "only the hash is stored")
        #expect(try await service.verify(secret)?.id == "key_fixed")
        clock.withLock { $0 = Date(timeIntervalSince1970: 1_800_000_600) }
        #expect(try await service.revoke(id: "key_fixed"))
        #expect(try await service.verify(secret) == nil)
        #expect(try await store.keys().first { $0.id == "key_fixed" }?.revokedAt == Date(timeIntervalSince1970: 1_800_000_600))
    }

    @Test("a key revoked by another process (the CLI, another replica) stops working here once its cached check expires")
    func revokedElsewhere() async throws {
        let store = InMemoryStore()
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let here = APIKeyService(store: store, cacheLifetime: 10, now: { clock.withLock { $0 } })
        let elsewhere = APIKeyService(store: store)
        let (secret, record) = try await here.create(name: "ci", team: nil, scope: .gateway)
        #expect(try await here.verify(secret)?.id == record.id)
        #expect(try await elsewhere.revoke(id: record.id))
        clock.withLock { $0 += 9 }
        #expect(try await here.verify(secret) != nil, "believed while the check is fresh")
        clock.withLock { $0 += 2 }
        #expect(try await here.verify(secret) == nil)
    }
}
