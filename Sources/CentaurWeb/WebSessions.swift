import CentaurCore
import CentaurStore
import Crypto
import Foundation
import Synchronization

/// Sign-in, sessions and CSRF tokens for the web pages.
public struct WebSessions: Sendable {
    public let store: any UserStore
    public var lifetime: TimeInterval = 12 * 3600
    let limiter = SlidingWindowLimiter()
    public static let cookieName = "centaur_session"
    /// A hash of no one's password at the real cost: an unknown name is checked against it.
    static let decoyHash = "scrypt$\(PasswordHasher.rounds)$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    public init(store: any UserStore) { self.store = store }

    public struct Signed: Sendable {
        public var user: UserRecord
        public var session: SessionRecord
    }

    public enum LoginResult: Sendable {
        case signedIn(secret: String, Signed)
        case wrongCredentials
        /// Too many failures for this name and address: wait this long.
        case throttled(seconds: Int)
    }

    /// Checks the password; a success opens a session whose secret goes into the cookie.
    ///
    /// Failures are limited per name and address (5), per account from any address (20, so spreading guesses over
    /// many addresses does not help) and per address over all names (50), each in 15 minutes. An unknown name costs
    /// the same password hash as a wrong password, so timing does not tell which names exist.
    public func login(username: String, password: String, address: String, now: Date = Date()) async throws -> LoginResult {
        let name = username.lowercased()
        let keys = [("pair:\(name)|\(address)", 5), ("user:\(name)", 20), ("addr:\(address)", 50)]
        if let wait = keys.compactMap({ limiter.wait($0.0, limit: $0.1, now: now) }).max() { return .throttled(seconds: wait) }
        let user = try await store.user(username: username)
        let verified = try await PasswordHasher.verify(password, hash: user?.passwordHash ?? Self.decoyHash)
        guard let user, verified, user.disabledAt == nil else {
            for (key, _) in keys { limiter.record(key, now: now) }
            return .wrongCredentials
        }
        limiter.reset(keys[0].0)
        let secret = Self.random(32)
        let session = SessionRecord(idHash: Self.sha256(secret), userID: user.id, csrfToken: Self.random(24), createdAt: now,
                                    expiresAt: now.addingTimeInterval(lifetime))
        try await store.startSession(session)
        return .signedIn(secret: secret, Signed(user: user, session: session))
    }

    /// The signed-in user of a request's cookie header, if any.
    public func current(cookieHeader: String?, now: Date = Date()) async throws -> Signed? {
        guard let secret = Self.cookie(Self.cookieName, in: cookieHeader),
              let session = try await store.session(idHash: Self.sha256(secret), now: now),
              let user = try await store.user(id: session.userID), user.disabledAt == nil else { return nil }
        return Signed(user: user, session: session)
    }

    public func logout(cookieHeader: String?) async throws {
        guard let secret = Self.cookie(Self.cookieName, in: cookieHeader) else { return }
        try await store.deleteSession(idHash: Self.sha256(secret))
    }

    /// `Set-Cookie` for a new session: not readable by scripts, sent only to this site, and over HTTPS (browsers
    /// treat http://localhost as secure).
    public func setCookie(_ secret: String) -> String {
        "\(Self.cookieName)=\(secret); Path=/; Max-Age=\(Int(lifetime)); HttpOnly; Secure; SameSite=Strict"
    }

    public static let clearCookie = "\(cookieName)=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"

    static func cookie(_ name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == name { return String(pair[1]) }
        }
        return nil
    }

    static func random(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(raw).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }

    /// Constant-time equality for CSRF tokens.
    static func same(_ a: String, _ b: String) -> Bool { constantTimeEqual(a.utf8, b.utf8) }
}

/// Events per key in a sliding window (failed sign-ins, applications created): how long to wait once a key has
/// used its allowance. Keys whose events are all older than the window are forgotten, so many distinct keys (an
/// attacker's addresses) cannot grow the table without bound.
public final class SlidingWindowLimiter: Sendable {
    private let events = Mutex<[String: [Date]]>([:])
    let window: TimeInterval
    /// Past this many keys, stale ones are swept out on the next event.
    let sweepAbove: Int

    public init(window: TimeInterval = 900, sweepAbove: Int = 10_000) {
        self.window = window
        self.sweepAbove = sweepAbove
    }

    /// Seconds to wait when `key` has had `limit` events within the window; nil when it may go on.
    public func wait(_ key: String, limit: Int, now: Date) -> Int? {
        events.withLock { table in
            let recent = (table[key] ?? []).filter { now.timeIntervalSince($0) < window }
            table[key] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    public func record(_ key: String, now: Date) {
        events.withLock { table in
            table[key, default: []].append(now)
            if table.count > sweepAbove {
                table = table.filter { _, times in times.last.map { now.timeIntervalSince($0) < window } ?? false }
            }
        }
    }

    public func reset(_ key: String) { events.withLock { $0[key] = nil } }

    /// How many keys are remembered (for tests).
    var keyCount: Int { events.withLock { $0.count } }
}
