import CentaurStore

/// Something that happens to an application. Each is legal only in some states.
public enum ApplicationEvent: String, Sendable, Hashable, Codable, CaseIterable {
    /// The applicant uploads a document.
    case upload
    /// The extraction job finished reading the current documents.
    case extractionFinished = "extraction_finished"
    /// The extracted values are shown to the applicant.
    case presentToApplicant = "present_to_applicant"
    /// The applicant confirms the values (with or without adjustments).
    case confirm
    /// The rules and the auto-approval policy ran.
    case check
    /// The policy found nothing for a human: approved without one.
    case autoApprove = "auto_approve"
    /// The policy found reasons for a human.
    case sendToReview = "send_to_review"
    /// A reviewer takes the application.
    case claim
    /// A reviewer corrects a value.
    case correct
    case approve
    case reject
    case requestResubmission = "request_resubmission"
}

/// An event that is not allowed in the application's state.
public struct IllegalTransition: Error, Sendable, Hashable, CustomStringConvertible {
    public let state: ApplicationState
    public let event: ApplicationEvent

    public var description: String {
        let allowed = ApplicationEvent.allCases.filter { ApplicationMachine.allows($0, in: state) }.map(\.rawValue)
        return "cannot \(event.rawValue) an application that is \(state.rawValue)"
            + (allowed.isEmpty ? " (it is final)" : " (allowed now: \(allowed.joined(separator: ", ")))")
    }
}

/// The application's life cycle as a pure function: no I/O, no clock.
public enum ApplicationMachine {
    public static func next(_ state: ApplicationState, on event: ApplicationEvent) throws(IllegalTransition) -> ApplicationState {
        switch (event, state) {
        case (.upload, .created), (.upload, .uploaded), (.upload, .extracted), (.upload, .awaitingApplicant),
             (.upload, .resubmissionRequested):
            return .uploaded
        case (.extractionFinished, .uploaded): return .extracted
        case (.presentToApplicant, .extracted): return .awaitingApplicant
        case (.confirm, .awaitingApplicant): return .confirmed
        case (.check, .confirmed): return .checked
        case (.autoApprove, .checked): return .autoApproved
        case (.sendToReview, .checked): return .inReview
        case (.claim, .inReview), (.correct, .inReview): return .inReview
        case (.approve, .inReview): return .approved
        case (.reject, .inReview): return .rejected
        case (.requestResubmission, .inReview): return .resubmissionRequested
        default: throw IllegalTransition(state: state, event: event)
        }
    }

    public static func allows(_ event: ApplicationEvent, in state: ApplicationState) -> Bool {
        (try? next(state, on: event)) != nil
    }

    /// Applies events in order; stops at the first illegal one.
    public static func run(_ events: [ApplicationEvent], from state: ApplicationState = .created) throws(IllegalTransition) -> ApplicationState {
        var state = state
        for event in events { state = try next(state, on: event) }
        return state
    }
}
