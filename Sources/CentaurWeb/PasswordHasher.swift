import Crypto
import Foundation
import NIOPosix
import _CryptoExtras

/// scrypt password hashes (`scrypt$N$r$p$salt$hash`, base64), derived off the concurrency pool: scrypt is
/// deliberately slow and memory-hard, and must never block the server's tasks.
public enum PasswordHasher {
    public static let rounds = 1 << 15
    static let blockSize = 8, parallelism = 1

    /// - Parameter rounds: scrypt's N (a power of two); the hash records it, so verification needs no setting.
    ///   Lower only in tests.
    public static func hash(_ password: String, rounds: Int = PasswordHasher.rounds) async throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: .min ... .max, using: &generator) }
        let key = try await derive(password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        return "scrypt$\(rounds)$\(blockSize)$\(parallelism)$\(Data(salt).base64EncodedString())$\(key.base64EncodedString())"
    }

    public static func verify(_ password: String, hash: String) async throws -> Bool {
        let parts = hash.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let n = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
              let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5]) else { return false }
        let key = try await derive(password, salt: Array(salt), rounds: n, blockSize: r, parallelism: p)
        return constantTimeEqual(key, expected)
    }

    static func derive(_ password: String, salt: [UInt8], rounds: Int, blockSize: Int, parallelism: Int) async throws -> Data {
        try await NIOThreadPool.singleton.runIfActive {
            let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: rounds,
                                               blockSize: blockSize, parallelism: parallelism)
            return key.withUnsafeBytes { Data($0) }
        }
    }
}

/// Equality that takes the same time wherever the inputs differ (for secrets: password hashes, CSRF tokens).
func constantTimeEqual<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
}
