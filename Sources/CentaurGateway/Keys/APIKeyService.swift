import CentaurConfiguration
import CentaurCore
import CentaurStore
import Crypto
import Foundation
import Synchronization

/// Creates and checks API keys. Only a SHA-256 hash of each key is stored; the key is shown once.
///
/// Checks are cached in memory (hash → record) for ``cacheLifetime``, so the hot path does not read the database for
/// every request; revoking through this service clears this process's cache at once, and a key revoked elsewhere (the
/// CLI, another replica) stops working here when its entry expires.
public final class APIKeyService: Sendable {
    public let store: any APIKeyStore
    /// How long a checked key is believed without asking the store again.
    public let cacheLifetime: TimeInterval
    private let cache = Mutex<[String: (record: APIKeyRecord, checked: Date)]>([:])
    private let now: @Sendable () -> Date
    private let newID: @Sendable () -> String

    /// `now` stamps creation and revocation and times the cache; `newID` names new keys (tests fix both).
    public init(store: any APIKeyStore, cacheLifetime: TimeInterval = 10, now: @escaping @Sendable () -> Date = { Date() },
                newID: @escaping @Sendable () -> String = { "key_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16) }) {
        self.store = store
        self.cacheLifetime = cacheLifetime
        self.now = now
        self.newID = newID
    }

    /// Makes a key; returns the secret (to show once) and the stored record.
    public func create(name: String, team: String?, scope: APIKeyRecord.Scope, limits: Limits = Limits()) async throws -> (secret: String, record: APIKeyRecord) {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        let secret = "ctr_" + String((0..<40).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
        var record = APIKeyRecord(
            id: newID(),
            name: name, team: team, scope: scope, hash: Self.hash(secret), prefix: String(secret.prefix(8)), createdAt: now())
        record.rpm = limits.rpm
        record.tpm = limits.tpm
        record.monthlyUSD = limits.monthlyUSD
        try await store.insert(record)
        return (secret, record)
    }

    /// The active key for a secret, or `nil`.
    /// Throws when the store cannot be asked (a key is never believed on a guess).
    public func verify(_ secret: String) async throws -> APIKeyRecord? {
        let hash = Self.hash(secret)
        let date = now()
        if let cached = cache.withLock({ $0[hash] }), date.timeIntervalSince(cached.checked) < cacheLifetime { return cached.record }
        guard let record = try await store.key(hash: hash) else {
            cache.withLock { _ = $0.removeValue(forKey: hash) }
            return nil
        }
        cache.withLock { $0[hash] = (record, date) }
        return record
    }

    public func revoke(id: String) async throws -> Bool {
        let revoked = try await store.revoke(id: id, at: now())
        cache.withLock { $0 = $0.filter { $0.value.record.id != id } }
        return revoked
    }

    /// SHA-256 of the key, hex.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}
