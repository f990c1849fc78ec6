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
