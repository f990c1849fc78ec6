/// Where an application is in onboarding (the transitions are `ApplicationMachine`'s, in CentaurReview).
///
/// ```
/// created → uploaded → extracted → awaiting_applicant → confirmed → checked → auto_approved
///              ↑                                                      └→ in_review → approved | rejected
///              └──────────────── upload ←──────────────────────────────────────────── resubmission_requested
/// ```
/// An upload before confirmation (a forgotten page) goes back to `uploaded` and extraction runs again.
public enum ApplicationState: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case created
    case uploaded
    case extracted
    case awaitingApplicant = "awaiting_applicant"
    case confirmed
    case checked
    case autoApproved = "auto_approved"
    case inReview = "in_review"
    case approved
    case rejected
    case resubmissionRequested = "resubmission_requested"

    /// The stored name (`in_review`), also when interpolated into text.
    public var description: String { rawValue }

    /// No event leaves a final state.
    public var isFinal: Bool { self == .autoApproved || self == .approved || self == .rejected }
}
