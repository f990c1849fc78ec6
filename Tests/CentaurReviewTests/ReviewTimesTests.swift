import CentaurReview
@testable import CentaurStore
import Foundation
import Testing

@Suite("Review times")
struct ReviewTimesTests {
    static func entry(_ seq: Int, _ minute: Int, _ action: String, _ target: String) -> AuditEntry {
        AuditEntry(seq: seq, at: String(format: "2026-12-01T10:%02d:00.000Z", minute), actor: "x", action: action, target: target,
                   before: nil, after: nil, previousHash: "", hash: "")
    }

    @Test("waiting is measured from review to decision, handling from the last claim; released claims do not count")
    func times() {
        let entries = [
            Self.entry(1, 0, "application.sent_to_review", "application:a"),
            Self.entry(2, 1, "application.sent_to_review", "application:b"),
            Self.entry(3, 5, "review.claimed", "application:a"),
            Self.entry(4, 10, "review.decided", "application:a"),
            Self.entry(5, 20, "review.claimed", "application:b"),
            Self.entry(6, 22, "review.released", "application:b"),
            Self.entry(7, 31, "review.decided", "application:b"),
            Self.entry(8, 40, "application.sent_to_review", "application:c"),
        ]
        let times = ReviewTimes.from(entries.reversed())
        #expect(times.decided == 2 && times.claimedDecisions == 1)
        #expect(times.medianHandling == 300)
        #expect(times.medianWait == 600 && times.p90Wait == 1800)
        #expect(ReviewTimes.from([]).medianWait == nil)
    }

    @Test("an audit timestamp reads back as the time it was written, to the millisecond; other text is nil")
    func timestamps() throws {
        let date = Date(timeIntervalSince1970: 1_796_212_345.678)
        let read = try #require(AuditEntry.date(AuditEntry.timestamp(date)))
        #expect(abs(read.timeIntervalSince(date)) < 0.001)
        #expect(AuditEntry.date("2026-12-01T10:00:00Z") == nil && AuditEntry.date("not a time at all, really") == nil)
    }
}
