/// Requests and tokens per minute and spend per calendar month (UTC); nil means no limit.
public struct Limits: Sendable, Hashable {
    public var rpm: Int?
    public var tpm: Int?
    public var monthlyUSD: Double?

    public init(rpm: Int? = nil, tpm: Int? = nil, monthlyUSD: Double? = nil) {
        self.rpm = rpm; self.tpm = tpm; self.monthlyUSD = monthlyUSD
    }

    public var isEmpty: Bool { rpm == nil && tpm == nil && monthlyUSD == nil }
}

/// What the gateway does with a request that needs a budget decision when the budget store cannot be reached
/// (`budgets.when_store_down`).
public enum BudgetFailureMode: String, Sendable, Hashable, CaseIterable {
    /// Refuse it with a 503 in the client's API shape (the default: fail closed, never overspend).
    case refuse
    /// Let it through unchecked, and log that it was.
    case admit
}
