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

    /// `2026-11-23T16:17:00.123Z`: milliseconds, UTC, fixed width.
    public static func timestamp(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis / 1000
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, Int(millis % 1000))
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
