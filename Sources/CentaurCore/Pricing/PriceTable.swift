import Foundation

/// What a model costs, in US dollars per million tokens.
public struct ModelPrice: Sendable, Hashable, Codable {
    public var input: Double
    public var output: Double
    /// Price of input tokens read from the prompt cache; defaults to the input price.
    public var cacheRead: Double?
    /// Price of input tokens written to the prompt cache; defaults to the input price.
    public var cacheWrite: Double?

    public init(input: Double, output: Double, cacheRead: Double? = nil, cacheWrite: Double? = nil) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }

    /// A model that costs nothing (local models).
    public static let free = ModelPrice(input: 0, output: 0)

    /// The cost of one call's usage in US dollars.
    public func cost(of usage: Usage) -> Double {
        let perToken = 1.0 / 1_000_000
        return (Double(usage.inputTokens) * input
            + Double(usage.outputTokens) * output
            + Double(usage.cacheReadTokens) * (cacheRead ?? input)
            + Double(usage.cacheWriteTokens) * (cacheWrite ?? input)) * perToken
    }

    enum CodingKeys: String, CodingKey {
        case input, output
        case cacheRead = "cache_read"
        case cacheWrite = "cache_write"
    }
}

/// Prices per upstream model id, with built-in list prices that configuration can override.
public struct PriceTable: Sendable, Hashable {
    public private(set) var prices: [String: ModelPrice]

    public init(_ prices: [String: ModelPrice] = [:]) {
        self.prices = prices
    }

    /// List prices (USD per million tokens) of common models, as published by their providers.
    /// Bedrock ids match on the part after the region prefix, for example `anthropic.claude-sonnet-4-5`.
    public static let builtIn = PriceTable([
        "claude-opus-4-1": ModelPrice(input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75),
        "claude-opus-4": ModelPrice(input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75),
        "claude-sonnet-4-5": ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75),
        "claude-sonnet-4": ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75),
        "claude-3-7-sonnet": ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75),
        "claude-haiku-4-5": ModelPrice(input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25),
        "claude-3-5-haiku": ModelPrice(input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1),
        "gpt-4o-mini": ModelPrice(input: 0.15, output: 0.6, cacheRead: 0.075),
        "gpt-4o": ModelPrice(input: 2.5, output: 10, cacheRead: 1.25),
        "gpt-4.1-mini": ModelPrice(input: 0.4, output: 1.6, cacheRead: 0.1),
        "gpt-4.1": ModelPrice(input: 2, output: 8, cacheRead: 0.5),
    ])

    public mutating func set(_ price: ModelPrice, for model: String) {
        prices[model] = price
    }

    /// The price for an upstream model id: an exact entry, else the longest entry the id contains
    /// (so `us.anthropic.claude-sonnet-4-5-20250929-v1:0` finds `claude-sonnet-4-5`); `nil` when unknown.
    public func price(for model: String) -> ModelPrice? {
        if let exact = prices[model] { return exact }
        let match = prices.keys.filter { model.contains($0) }.max { $0.count < $1.count }
        return match.flatMap { prices[$0] }
    }

    /// The cost of a call, or `nil` when the model's price is unknown.
    public func cost(of usage: Usage, model: String) -> Double? {
        price(for: model)?.cost(of: usage)
    }

    /// This table with `other`'s entries taking precedence.
    public func merging(_ other: PriceTable) -> PriceTable {
        PriceTable(prices.merging(other.prices) { _, new in new })
    }
}
