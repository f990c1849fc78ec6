import CentaurCore
import Crypto
import Foundation

/// One entry of the append-only, hash-chained audit log.
///
/// `hash` is the SHA-256 of this entry's fields together with `previousHash`, the hash of the entry before it
/// (64 zeros for the first). Editing a field breaks the entry's hash; deleting or reordering entries breaks the
/// sequence and the chain; deleting the newest entries is caught against the log's head, kept beside it.
public struct AuditEntry: Sendable, Hashable, Codable {
    /// 1, 2, 3, … without gaps.
    public var seq: Int
    /// ISO 8601 with milliseconds, UTC; kept as text so it hashes byte-for-byte the same after a round trip.
    public var at: String
    public var actor: String
    public var action: String
    /// What was acted on, such as `application:ID`.
    public var target: String
    /// JSON text of what changed, before and after (absent when nothing was there).
    public var before: String?
    public var after: String?
    public var previousHash: String
    public var hash: String

    enum CodingKeys: String, CodingKey {
        case seq, at, actor, action, target, before, after, hash
        case previousHash = "previous_hash"
    }

    public init(seq: Int, at: String, actor: String, action: String, target: String, before: String?, after: String?,
                previousHash: String, hash: String) {
        self.seq = seq; self.at = at; self.actor = actor; self.action = action; self.target = target; self.before = before
        self.after = after; self.previousHash = previousHash; self.hash = hash
    }

    public static let genesisHash = String(repeating: "0", count: 64)

    /// The hash this entry must have given its fields and the previous entry's hash.
    public static func computeHash(seq: Int, at: String, actor: String, action: String, target: String,
                                   before: String?, after: String?, previousHash: String) -> String {
        var hasher = SHA256()
        // Length-prefixed fields: no two different entries serialise to the same bytes.
        for field in ["\(seq)", at, actor, action, target, before ?? "\u{0}", after ?? "\u{0}", previousHash] {
            let bytes = Array(field.utf8)
            hasher.update(data: Array("\(bytes.count):".utf8))
            hasher.update(data: bytes)
        }
        return hasher.finalize().hexString
    }

    public var expectedHash: String {
        Self.computeHash(seq: seq, at: at, actor: actor, action: action, target: target, before: before, after: after, previousHash: previousHash)
    }

    /// The time of a ``timestamp(_:)``; nil for text of another shape.
    public static func date(_ text: String) -> Date? {
        let digits = Array(text.utf8)
        guard digits.count == 24, digits[4] == UInt8(ascii: "-"), digits[10] == UInt8(ascii: "T"), digits[19] == UInt8(ascii: "."),
              digits[23] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: digits[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19), let millis = number(20..<23) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let whole = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)) else { return nil }
        return whole.addingTimeInterval(Double(millis) / 1000)
    }

    /// `2026-11-23T16:17:00.123Z`: milliseconds, UTC, fixed width.
    public static func timestamp(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis / 1000
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, Int(millis % 1000))
    }
}

extension AuditEntry {
    /// Drafts numbered and chained after the log's head (nil for an empty log), all at one time: what a backend
    /// appends, and the head it records, inside the transaction that makes the change.
    public static func chain(_ drafts: [AuditDraft], after head: (seq: Int, hash: String)?, at date: Date) -> [AuditEntry] {
        var seq = head?.seq ?? 0
        var previous = head?.hash ?? genesisHash
        let at = timestamp(date)
        return drafts.map { draft in
            seq += 1
            let hash = computeHash(seq: seq, at: at, actor: draft.actor, action: draft.action, target: draft.target,
                                   before: draft.before, after: draft.after, previousHash: previous)
            defer { previous = hash }
            return AuditEntry(seq: seq, at: at, actor: draft.actor, action: draft.action, target: draft.target,
                              before: draft.before, after: draft.after, previousHash: previous, hash: hash)
        }
    }
}

/// An audit entry to append; the store numbers and chains it inside the transaction that makes the change.
public struct AuditDraft: Sendable, Hashable {
    public var actor: String
    public var action: String
    public var target: String
    public var before: String?
    public var after: String?

    public init(actor: String, action: String, target: String, before: String? = nil, after: String? = nil) {
        self.actor = actor; self.action = action; self.target = target; self.before = before; self.after = after
    }
}

/// What `centaur audit verify` found.
public struct AuditVerification: Sendable, Hashable, Codable {
    public var entries: Int
    public var valid: Bool
    /// The sequence number of the first entry that does not verify (or where one is missing).
    public var firstBadSeq: Int?
    public var problem: String?
    /// The newest entry's hash: publish it elsewhere to anchor the log.
    public var headHash: String

    enum CodingKeys: String, CodingKey {
        case entries, valid, problem
        case firstBadSeq = "first_bad_seq", headHash = "head_hash"
    }

    /// Checks a log read in storage order (not sorted: a reordering must show) against its recorded head.
    public static func verify(_ entries: [AuditEntry], head: (seq: Int, hash: String)?) -> AuditVerification {
        var previous = AuditEntry.genesisHash
        for (index, entry) in entries.enumerated() {
            let expectedSeq = index + 1
            func bad(_ problem: String) -> AuditVerification {
                AuditVerification(entries: entries.count, valid: false, firstBadSeq: expectedSeq, problem: problem, headHash: previous)
            }
            if entry.seq != expectedSeq {
                return bad("entry \(expectedSeq) is missing or out of order (found entry \(entry.seq) in its place)")
            }
            if entry.previousHash != previous {
                return bad("entry \(expectedSeq) does not follow entry \(expectedSeq - 1): its previous hash does not match")
            }
            if entry.expectedHash != entry.hash {
                return bad("entry \(expectedSeq) was edited: its contents do not match its hash")
            }
            previous = entry.hash
        }
        let head = head ?? (0, AuditEntry.genesisHash)
        if head.seq != entries.count || head.hash != previous {
            let first = min(head.seq, entries.count) + 1
            return AuditVerification(entries: entries.count, valid: false, firstBadSeq: first,
                                     problem: "the log ends at entry \(entries.count) but its head says \(head.seq): entries were deleted from the end",
                                     headHash: previous)
        }
        return AuditVerification(entries: entries.count, valid: true, firstBadSeq: nil, problem: nil, headHash: previous)
    }
}

extension AuditVerification {
    /// A head recorded outside the database (`centaur audit head` printed it): the log must still contain entry
    /// `seq` with exactly that hash, so deleting the newest entries and rewriting the head shows.
    public struct Anchor: Sendable, Hashable {
        public var seq: Int
        public var hash: String

        public init(seq: Int, hash: String) { self.seq = seq; self.hash = hash }

        /// Parses `SEQ:HASH` (what `centaur audit head` prints).
        public init?(_ text: String) {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let seq = Int(parts[0]), seq >= 0, parts[1].count == 64,
                  parts[1].allSatisfy(\.isHexDigit) else { return nil }
            self.init(seq: seq, hash: parts[1].lowercased())
        }

        public var description: String { "\(seq):\(hash)" }
    }

    /// The chain's verification, then the log checked against what the database says happened: a log emptied
    /// or cut short while applications and decisions remain is not valid, whatever its head says.
    /// - Parameters:
    ///   - applications: every application id; each must have its `application.created` entry.
    ///   - decisions: per application, how many reviewer decisions are stored; each needs its `review.decided` entry.
    ///   - anchor: a head kept elsewhere, which the log must still reach.
    public static func verify(_ entries: [AuditEntry], head: (seq: Int, hash: String)?, applications: [String],
                              decisions: [String: Int], anchor: Anchor? = nil) -> AuditVerification {
        var result = verify(entries, head: head)
        guard result.valid else { return result }
        func bad(_ problem: String, at seq: Int? = nil) -> AuditVerification {
            AuditVerification(entries: entries.count, valid: false, firstBadSeq: seq ?? entries.count + 1, problem: problem, headHash: result.headHash)
        }
        if let anchor {
            guard anchor.seq <= entries.count else {
                return bad("the log ends at entry \(entries.count) but the anchored head is entry \(anchor.seq): entries were deleted", at: entries.count + 1)
            }
            let hash = anchor.seq == 0 ? AuditEntry.genesisHash : entries[anchor.seq - 1].hash
            guard hash == anchor.hash else {
                return bad("entry \(anchor.seq) is not the entry the anchored head names: the log was rewritten", at: anchor.seq)
            }
        }
        if entries.isEmpty, !applications.isEmpty {
            return bad("the log is empty but \(applications.count) application(s) exist: it was emptied", at: 1)
        }
        var created: Set<String> = []
        var decided: [String: Int] = [:]
        for entry in entries {
            if entry.action == "application.created" { created.insert(entry.target) }
            if entry.action == "review.decided" { decided[entry.target, default: 0] += 1 }
        }
        for id in applications.sorted() where !created.contains("application:\(id)") {
            return bad("application \(id) has no application.created entry: entries were deleted")
        }
        for (id, count) in decisions.sorted(by: { $0.key < $1.key }) where (decided["application:\(id)"] ?? 0) < count {
            return bad("application \(id) has \(count) decision(s) but \(decided["application:\(id)"] ?? 0) review.decided entries: entries were deleted")
        }
        result.problem = nil
        return result
    }
}

extension AuditVerification {
    /// Verifies a store's audit log: the hash chain, its recorded head, and every application and decision in
    /// the store having its entries (an emptied or cut log does not pass); with an anchor, also that the log still
    /// reaches a head kept outside the database.
    public static func verify(store: any ApplicationStore & AuditLog, anchor: Anchor? = nil) async throws -> AuditVerification {
        let entries = try await store.auditEntries(target: nil)
        let applications = try await store.applications(states: [], limit: Int.max)
        var decisions: [String: Int] = [:]
        for application in applications {
            let count = try await store.decisions(applicationID: application.id).count
            if count > 0 { decisions[application.id] = count }
        }
        return verify(entries, head: try await store.auditHead(), applications: applications.map(\.id), decisions: decisions, anchor: anchor)
    }
}
