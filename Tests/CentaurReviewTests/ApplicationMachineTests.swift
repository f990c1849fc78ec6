import CentaurStore
import CentaurTestSupport
import Testing
@testable import CentaurReview

@Suite("The application state machine")
struct ApplicationMachineTests {
    @Test("the happy path reaches auto-approval and review paths reach every decision")
    func paths() throws {
        let toCheck: [ApplicationEvent] = [.upload, .extractionFinished, .presentToApplicant, .confirm, .check]
        #expect(try ApplicationMachine.run(toCheck + [.autoApprove]) == .autoApproved)
        #expect(try ApplicationMachine.run(toCheck + [.sendToReview, .claim, .correct, .approve]) == .approved)
        #expect(try ApplicationMachine.run(toCheck + [.sendToReview, .reject]) == .rejected)
        let resubmitted = try ApplicationMachine.run(toCheck + [.sendToReview, .requestResubmission, .upload])
        #expect(resubmitted == .uploaded)
    }

    @Test("an illegal event is an error that names the state and what is allowed")
    func illegal() {
        #expect(throws: IllegalTransition(state: .created, event: .approve)) { try ApplicationMachine.next(.created, on: .approve) }
        let error = IllegalTransition(state: .awaitingApplicant, event: .approve)
        #expect(error.description.contains("awaiting_applicant"))
        #expect(error.description.contains("confirm"))
        #expect(IllegalTransition(state: .approved, event: .upload).description.contains("final"))
    }

    @Test("final states accept no event; no event skips confirmation or review")
    func finals() {
        for state in ApplicationState.allCases where state.isFinal {
            for event in ApplicationEvent.allCases { #expect(!ApplicationMachine.allows(event, in: state)) }
        }
        for state in ApplicationState.allCases where state != .inReview {
            #expect(!ApplicationMachine.allows(.approve, in: state))
        }
        for state in ApplicationState.allCases where state != .checked {
            #expect(!ApplicationMachine.allows(.autoApprove, in: state))
        }
    }

    @Test("property: random event sequences never reach an illegal state, and approval always follows a human or a clean check")
    func randomSequences() {
        var generator = SeededGenerator(seed: 20261123)
        var reached = Set<ApplicationState>()
        for _ in 0..<5_000 {
            var state = ApplicationState.created
            var history: [ApplicationEvent] = []
            for _ in 0..<Int.random(in: 1...30, using: &generator) {
                let event = ApplicationEvent.allCases.randomElement(using: &generator)!
                do {
                    let next = try ApplicationMachine.next(state, on: event)
                    history.append(event)
                    state = next
                } catch {
                    // An illegal event leaves the state as it was.
                    #expect(error.state == state)
                }
                reached.insert(state)
            }
            if state == .approved || state == .rejected { #expect(history.contains(.sendToReview)) }
            if state == .autoApproved { #expect(history.last == .autoApprove && history.contains(.confirm)) }
            if history.contains(.approve) || history.contains(.reject) {
                #expect(history.contains(.confirm), "a decision without the applicant's confirmation")
            }
        }
        #expect(reached == Set(ApplicationState.allCases))
    }
}
