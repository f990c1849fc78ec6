import Foundation

/// Where an evaluation run is; the stored values and the eval_run table's CHECK list.
public enum EvalRunStatus: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case running, completed, cancelled

    public var description: String { rawValue }
}

/// One evaluation run: a suite against its providers.
public struct EvalRunRecord: Sendable, Hashable, Codable {
    public var id: String
    public var suite: String
    public var description: String
    public var startedAt: Date
    public var endedAt: Date?
    public var status: EvalRunStatus
    /// JSON summary per provider (pass rate, cost, latency…), written at the end.
    public var summary: String?

    enum CodingKeys: String, CodingKey {
        case id, suite, description, status, summary
        case startedAt = "started_at", endedAt = "ended_at"
    }

    public init(id: String, suite: String, description: String, startedAt: Date, endedAt: Date? = nil, status: EvalRunStatus = .running, summary: String? = nil) {
        self.id = id; self.suite = suite; self.description = description; self.startedAt = startedAt; self.endedAt = endedAt
        self.status = status; self.summary = summary
    }
}

/// One case's result in a run (the detail — vars, prompt, output, assertions — as JSON).
public struct EvalResultRecord: Sendable, Hashable, Codable {
    public var runID: String
    public var caseID: String
    public var provider: String
    public var success: Bool
    public var score: Double
    public var costUSD: Double?
    public var latencyMS: Double
    public var error: String?
    public var detail: String

    enum CodingKeys: String, CodingKey {
        case provider, success, score, error, detail
        case runID = "run_id", caseID = "case_id", costUSD = "cost_usd", latencyMS = "latency_ms"
    }

    public init(runID: String, caseID: String, provider: String, success: Bool, score: Double, costUSD: Double?, latencyMS: Double, error: String?, detail: String) {
        self.runID = runID; self.caseID = caseID; self.provider = provider; self.success = success; self.score = score
        self.costUSD = costUSD; self.latencyMS = latencyMS; self.error = error; self.detail = detail
    }
}

/// Where eval runs, their results and the answer cache live.
public protocol EvalStore: Sendable {
    func saveRun(_ run: EvalRunRecord) async throws
    func run(id: String) async throws -> EvalRunRecord?
    func runs(limit: Int) async throws -> [EvalRunRecord]
    func insertResults(_ results: [EvalResultRecord]) async throws
    func results(runID: String) async throws -> [EvalResultRecord]
    /// A cached provider answer (JSON) for a case key.
    func cachedAnswer(key: String) async throws -> String?
    func cacheAnswers(_ answers: [(key: String, answer: String)]) async throws
}
