import CentaurConfiguration
import CentaurCore
import CentaurStore
import Crypto
import Foundation
import Synchronization

/// Creates and checks API keys. Only a SHA-256 hash of each key is stored; the key is shown once.
///
/// Checks are cached in memory (hash → record), so the hot path does not read the database for every
/// request; revoking through this service clears the cache.
public final class APIKeyService: Sendable {
    public let store: any APIKeyStore
    private let cache = Mutex<[String: APIKeyRecord]>([:])
    private let now: @Sendable () -> Date
    private let newID: @Sendable () -> String

    /// `now` stamps creation and revocation; `newID` names new keys (tests fix both).
    public init(store: any APIKeyStore, now: @escaping @Sendable () -> Date = { Date() },
                newID: @escaping @Sendable () -> String = { "key_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16) }) {
        self.store = store
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
    public func verify(_ secret: String) async throws -> APIKeyRecord? {
        let hash = Self.hash(secret)
        if let cached = cache.withLock({ $0[hash] }) { return cached }
        guard let record = try await store.key(hash: hash) else { return nil }
        cache.withLock { $0[hash] = record }
        return record
    }

    public func revoke(id: String) async throws -> Bool {
        let revoked = try await store.revoke(id: id, at: now())
        cache.withLock { $0 = $0.filter { $0.value.id != id } }
        return revoked
    }

    /// SHA-256 of the key, hex.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}
