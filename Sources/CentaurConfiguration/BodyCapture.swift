/// What of a request and its answer is kept in traces.
public enum BodyCapture: String, Sendable, Hashable, CaseIterable {
    /// Metadata only: tokens, cost, timing, status.
    case none
    /// Also the request and the answer, after the redaction hook.
    case full
}
