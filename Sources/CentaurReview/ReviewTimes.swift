import CentaurStore
import Foundation

/// How long people take to decide, from the audit log: for every decided application, the time from being sent to
/// review to the decision (what the applicant waits) and from the reviewer's claim to the decision (the work).
public struct ReviewTimes: Sendable, Hashable, Encodable {
    /// Applications decided by a reviewer.
    public var decided: Int
    /// Seconds from `application.sent_to_review` to `review.decided`: median and 90th percentile.
    public var medianWait: Double?
    public var p90Wait: Double?
    /// Seconds from the last `review.claimed` before the decision to `review.decided` (claimed ones only).
    public var medianHandling: Double?
    public var p90Handling: Double?
    public var claimedDecisions: Int

    enum CodingKeys: String, CodingKey {
        case decided, claimedDecisions = "claimed_decisions", medianWait = "median_wait_s", p90Wait = "p90_wait_s"
        case medianHandling = "median_handling_s", p90Handling = "p90_handling_s"
    }

    /// Works the times out from audit entries (any order; each application's in sequence).
    public static func from(_ entries: [AuditEntry]) -> ReviewTimes {
        var waits: [Double] = [], handlings: [Double] = []
        var sent: [String: Date] = [:], claimed: [String: Date] = [:]
        for entry in entries.sorted(by: { $0.seq < $1.seq }) {
            guard let at = AuditEntry.date(entry.at) else { continue }
            switch entry.action {
            case "application.sent_to_review": sent[entry.target] = at
            case "review.claimed": claimed[entry.target] = at
            case "review.released": claimed[entry.target] = nil
            case "review.decided":
                if let start = sent.removeValue(forKey: entry.target) { waits.append(at.timeIntervalSince(start)) }
                if let start = claimed.removeValue(forKey: entry.target) { handlings.append(at.timeIntervalSince(start)) }
            default: break
            }
        }
        func percentile(_ values: [Double], _ p: Double) -> Double? {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            // Nearest rank: the smallest value with at least p of the values at or below it.
            return sorted[max(0, min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
        }
        return ReviewTimes(decided: waits.count, medianWait: percentile(waits, 0.5), p90Wait: percentile(waits, 0.9),
                           medianHandling: percentile(handlings, 0.5), p90Handling: percentile(handlings, 0.9), claimedDecisions: handlings.count)
    }
}

extension OnboardingService {
    /// ``ReviewTimes`` over the whole audit log.
    public func reviewTimes() async throws -> ReviewTimes {
        ReviewTimes.from(try await store.auditEntries(target: nil))
    }
}
