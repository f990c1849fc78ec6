import CentaurConfiguration
import CentaurCore
import CentaurStore
import Foundation
import Logging

/// Enforces per-key and per-team budgets before a request goes anywhere, and settles what it used when it ends.
///
/// A request reserves its worst case (``WorstCase``) against every monthly cap it counts against and one request
/// from every RPM bucket, all at once in the ``BudgetStore`` — in the process, or in PostgreSQL so that replicas share
/// one exact limit. A refusal is a 429 with `retry-after` in the client's API shape. When it ends, the hold is
/// released and the tokens and cost of every attempt (retries and fallbacks included) are counted.
///
/// When the store cannot be reached, a request that needs a budget decision is refused with a 503
/// (`budgets.when_store_down: refuse`, the default) — never let through to overspend — or, with `admit`, let through
/// unchecked and logged.
public struct BudgetMiddleware: GatewayMiddleware {
    public let store: any BudgetStore
    /// Limits of each team, from `budgets.teams` in the configuration.
    public let teams: [String: Limits]
    /// What a request may cost at most, in US dollars.
    public let worstCase: @Sendable (ModelRequest) -> Double
    public let whenStoreDown: BudgetFailureMode
    let now: @Sendable () -> Date
    let logger: Logger

    public init(store: any BudgetStore, teams: [String: Limits], worstCase: @escaping @Sendable (ModelRequest) -> Double,
                whenStoreDown: BudgetFailureMode = .refuse, now: @escaping @Sendable () -> Date = Date.init,
                logger: Logger = Logger(label: "centaur.budgets")) {
        self.store = store
        self.teams = teams
        self.worstCase = worstCase
        self.whenStoreDown = whenStoreDown
        self.now = now
        self.logger = logger
    }

    /// The budgets a call counts against: its key's own, and its team's.
    func subjects(_ context: GatewayContext) -> [BudgetSubject] {
        guard let caller = context.caller else { return [] }
        var subjects: [BudgetSubject] = []
        if let limits = caller.limits, !limits.isEmpty { subjects.append(Self.subject("key:\(caller.keyID)", limits)) }
        if let team = caller.team, let limits = teams[team], !limits.isEmpty { subjects.append(Self.subject("team:\(team)", limits)) }
        // One order everywhere, so concurrent reservations lock shared rows in the same order.
        return subjects.sorted { $0.name < $1.name }
    }

    static func subject(_ name: String, _ limits: Limits) -> BudgetSubject {
        BudgetSubject(name: name, rpm: limits.rpm, tpm: limits.tpm, monthlyMicroUSD: limits.monthlyUSD.map { BudgetMath.micro($0, .down) })
    }

    /// The reservation for a call, nil when it counts against no budget (or the store is down and the mode admits).
    func reserve(_ request: ModelRequest, context: GatewayContext) async throws -> BudgetReservation? {
        try await reserve(worstCaseUSD: { worstCase(request) }, context: context)
    }

    /// The reservation for a call that may cost `worstCaseUSD` at most (an embedding call, whose worst case is its
    /// input alone), nil when it counts against no budget.
    func reserve(worstCaseUSD: () -> Double, context: GatewayContext) async throws -> BudgetReservation? {
        let subjects = subjects(context)
        guard !subjects.isEmpty else { return nil }
        let decision: BudgetDecision
        do {
            decision = try await store.reserve(subjects, microUSD: BudgetMath.micro(worstCaseUSD(), .up), at: now())
        } catch {
            let names = subjects.map(\.name).joined(separator: ", ")
            switch whenStoreDown {
            case .admit:
                logger.error("budget store down: admitting unchecked (budgets.when_store_down: admit)",
                             metadata: ["subjects": "\(names)", "error": "\(error)", "request_id": "\(context.requestID)"])
                return nil
            case .refuse:
                logger.error("budget store down: refusing", metadata: ["subjects": "\(names)", "error": "\(error)", "request_id": "\(context.requestID)"])
                throw ModelError(kind: .storeUnavailable,
                                 message: "the budget store does not answer, so this request (budgets \(names)) is refused rather than let through unchecked; try again shortly",
                                 status: 503, retryAfter: .seconds(5))
            }
        }
        switch decision {
        case .admitted(let reservation): return reservation
        case .refused(let refusal): throw refusal.error
        }
    }

    /// Counts what the call used. A store that fails here is tried again a few times; what still fails is logged (the
    /// hold keeps the worst case counted until it lapses).
    func settle(_ reservation: BudgetReservation?, context: GatewayContext) async {
        guard let reservation else { return }
        let attempts = context.attempts.all
        let tokens = attempts.reduce(0) { $0 + $1.usage.inputTokens + $1.usage.outputTokens + $1.usage.cacheReadTokens + $1.usage.cacheWriteTokens }
        let cost = BudgetMath.micro(attempts.compactMap(\.costUSD).reduce(0, +))
        for attempt in 1...3 {
            do {
                return try await store.settle(reservation, tokens: tokens, microUSD: cost, at: now())
            } catch {
                if attempt == 3 {
                    logger.error("budget not settled", metadata: ["reservation": "\(reservation.id)", "error": "\(error)", "request_id": "\(context.requestID)"])
                } else {
                    try? await Task.sleep(for: .milliseconds(200 * attempt))
                }
            }
        }
    }

    public func respond(_ request: ModelRequest, context: GatewayContext, next: GatewayResponder) async throws -> ModelResponse {
        let reservation = try await reserve(request, context: context)
        do {
            let response = try await next(request, context)
            await settle(reservation, context: context)
            return response
        } catch {
            await settle(reservation, context: context)
            throw error
        }
    }

    public func handle(_ request: ModelRequest, context: GatewayContext, next: GatewayHandler) async throws -> ModelStream {
        let reservation = try await reserve(request, context: context)
        guard reservation != nil else { return try await next(request, context) }
        let upstream: ModelStream
        do { upstream = try await next(request, context) } catch {
            await settle(reservation, context: context)
            throw error
        }
        return .producing { continuation in
            do {
                for try await event in upstream { continuation.yield(event) }
            } catch {
                await settle(reservation, context: context)
                throw error
            }
            await settle(reservation, context: context)
        }
    }
}

/// A request's worst-case cost, reserved before it is sent: its most expensive target, every byte of input a token
/// (tokenizers average three to four bytes a token), a fixed allowance per message and per image, and all of
/// `max_tokens` out (4,096 when the request sets none).
public enum WorstCase {
    /// Output reserved for a request that sets no `max_tokens`.
    public static let unboundedOutputTokens = 4096

    /// Upper bounds of the request's tokens in and out.
    public static func tokens(_ request: ModelRequest) -> (input: Int, output: Int) {
        var input = 16 + (request.system?.utf8.count ?? 0)
        func count(_ blocks: [ContentBlock]) {
            for block in blocks {
                switch block {
                case .text(let text): input += text.utf8.count
                case .image: input += 2_000
                case .document(let document): input += document.data.count
                case .toolUse(let use): input += use.name.utf8.count + use.input.jsonBytes(sortKeys: false).count
                case .toolResult(let result): count(result.content)
                }
            }
        }
        for message in request.messages {
            input += 16
            count(message.content)
        }
        for tool in request.tools {
            input += 16 + tool.name.utf8.count + (tool.description?.utf8.count ?? 0) + tool.inputSchema.jsonBytes(sortKeys: false).count
        }
        if case .jsonSchema(_, let schema) = request.responseFormat { input += schema.jsonBytes(sortKeys: false).count }
        return (input, request.maxTokens ?? unboundedOutputTokens)
    }

    /// The worst case in US dollars at the most expensive of `prices` (unknown prices count nothing).
    public static func cost(_ request: ModelRequest, prices: [ModelPrice?]) -> Double {
        let (input, output) = tokens(request)
        let usage = Usage(inputTokens: input, outputTokens: output)
        return prices.compactMap { price -> Double? in
            guard let price else { return nil }
            // Cached input is never dearer than the write price; take the dearer of the two per input token.
            let inputPrice = max(price.input, price.cacheWrite ?? price.input)
            return ModelPrice(input: inputPrice, output: price.output).cost(of: usage)
        }.max() ?? 0
    }
}
