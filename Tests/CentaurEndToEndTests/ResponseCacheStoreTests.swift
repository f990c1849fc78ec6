import CentaurGateway
import CentaurSQLite
import CentaurStore
import Foundation
import Testing

/// The response cache over the SQLite file: what a restarted server finds.
@Suite("Response cache over SQLite")
struct ResponseCacheStoreTests {
    @Test("entries survive a restart through the store and expire after their TTL")
    func storeAndExpiry() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-cache-store-\(UUID().uuidString)")
        let store = try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let record = CachedResponseRecord(key: "k", tenant: "team:a", model: "m", response: "{}", originRequestID: "r", createdAt: now,
                                          expiresAt: now.addingTimeInterval(60), costUSD: 0.01)
        await ResponseCache(store: store).save(record)
        let reopened = ResponseCache(store: try SQLiteStore(path: directory.appendingPathComponent("db.sqlite").path))
        #expect(await reopened.lookup("k", now: now.addingTimeInterval(30))?.originRequestID == "r")
        #expect(await ResponseCache(store: store).lookup("k", now: now.addingTimeInterval(61)) == nil)
        #expect(try await store.purgeExpired(now: now.addingTimeInterval(61)) == 1)
    }
}
