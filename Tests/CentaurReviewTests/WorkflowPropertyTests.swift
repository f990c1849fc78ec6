import CentaurCore
import CentaurReview
import CentaurStore
import CentaurTestSupport
import Foundation
import Testing

/// Random operations against the real service and store: whatever is tried, every application survives, is
/// always in a known state, illegal steps change nothing, and the audit log replays to each state and verifies.
@Suite("Workflow property", Samples.needed)
struct WorkflowPropertyTests {
    enum Operation: CaseIterable { case upload, corruptUpload, extract, confirm, adjust, claim, correct, approve, reject, resubmit }

    @Test("random operation sequences never reach an unknown state or lose an application")
    func randomOperations() async throws {
        let (service, store) = try Fixtures.service()
        let back = try Samples.data("person-02", "license-back.png")
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try await service.create(marketState: "IL").application.id) }
        var generator = SeededGenerator(seed: 7)
        var refused = 0
        var reached = Set<String>()
        for _ in 0..<300 {
            let id = ids.randomElement(using: &generator)!
            let before = try #require(try await store.application(id: id))
            let operation = Operation.allCases.randomElement(using: &generator)!
            do {
                switch operation {
                case .upload: _ = try await service.upload(applicationID: id, kind: .licenseBack, name: "back.png", data: back)
                case .corruptUpload: _ = try await service.upload(applicationID: id, kind: .i9, name: "i9.pdf", data: Data("%PDF-1.7 broken".utf8))
                case .extract: try await JobWorker(onboarding: service, signal: JobSignal()).drain()
                case .confirm: _ = try await service.confirm(applicationID: id, values: [:])
                case .adjust: _ = try await service.confirm(applicationID: id, values: ["us-drivers-license": ["first_name": "ROBIN"]])
                case .claim: _ = try await service.claim(applicationID: id, reviewer: "reviewer:p")
                case .correct:
                    _ = try await service.correct(applicationID: id, documentType: "us-drivers-license", field: "city",
                                                  value: .string("CITY \(Int.random(in: 0..<1000, using: &generator))"), reason: "seen on the card", reviewer: "reviewer:p")
                case .approve: _ = try await service.decide(applicationID: id, decision: .approve, reason: "ok", reviewer: "reviewer:p")
                case .reject: _ = try await service.decide(applicationID: id, decision: .reject, reason: "no", reviewer: "reviewer:p")
                case .resubmit: _ = try await service.decide(applicationID: id, decision: .requestResubmission, reason: "blurry", reviewer: "reviewer:p")
                }
            } catch let error as WorkflowError {
                refused += 1
                // A refused step changes nothing.
                let after = try #require(try await store.application(id: id))
                #expect(after.version == before.version && after.state == before.state, "\(operation) refused with \(error) but changed the application")
            }
            let all = try await store.applications(states: [], limit: 100)
            #expect(Set(all.map(\.id)) == Set(ids))
            // Every state is a known one: the store decodes `ApplicationState`, and an unknown value fails the read.
            reached.formUnion(all.map(\.state.rawValue))
        }
        #expect(refused > 0)
        // The sequence went deep enough to matter.
        #expect(reached.isSuperset(of: ["uploaded", "awaiting_applicant", "in_review"]), "\(reached)")
        #expect(!reached.isDisjoint(with: ["approved", "rejected", "resubmission_requested"]), "\(reached)")

        // Each application's state is the last state its audit entries recorded; the chain verifies.
        for id in ids {
            let application = try #require(try await store.application(id: id))
            let states = try await store.auditEntries(target: "application:\(id)").compactMap { entry in
                entry.after.flatMap { try? JSONValue(parsing: $0) }?["state"]?.stringValue
            }
            #expect(states.last == application.state.rawValue)
        }
        #expect(AuditVerification.verify(try await store.auditEntries(target: nil), head: try await store.auditHead()).valid)
    }
}
