import CentaurCore
import CentaurStore
import CentaurTestSupport
import Foundation
import Testing
@testable import CentaurEvals

@Suite("eval compare: a gate on every provider, field and case")
struct ComparisonTests {
    /// A stored result; `fields` gives the `fields` assertion's comparisons (name → matched).
    static func record(_ run: String, _ caseID: String, _ provider: String, _ success: Bool, fields: [String: Bool] = [:]) throws -> EvalResultRecord {
        let comparisons = fields.sorted { $0.key < $1.key }.map {
            FieldComparison(field: $0.key, expected: .string("x"), actual: .string($0.value ? "x" : "y"), outcome: $0.value ? .match : .wrong)
        }
        let assertion = AssertionResult(type: "fields", pass: success, score: success ? 1 : 0, weight: 1, reason: "", fields: comparisons)
        let result = CaseResult(caseID: caseID, testIndex: 0, description: nil, promptLabel: "p", provider: provider, providerID: provider, repeatIndex: 0,
                                vars: [:], prompt: "", output: "", success: success, score: success ? 1 : 0, assertions: [assertion], costUSD: nil,
                                latencyMS: 1, inputTokens: 0, outputTokens: 0, error: nil, cached: false)
        return EvalResultRecord(runID: run, caseID: caseID, provider: provider, success: success, score: success ? 1 : 0, costUSD: nil, latencyMS: 1,
                                error: nil, detail: String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
    }

    @Test("a provider falling from 100 % to 0 % fails though the overall rate is unchanged; the cases and the provider are named")
    func providerRegression() async throws {
        let store = InMemoryStore()
        for id in ["a", "b"] { try await store.saveRun(EvalRunRecord(id: id, suite: "suite.yaml", description: "", startedAt: Date())) }
        // Case ids as the runner writes them: test, prompt, provider (m0 fast, m1 slow), repeat.
        func results(_ run: String, fast: Bool) throws -> [EvalResultRecord] {
            try (0..<2).flatMap { t in
                try (0..<2).flatMap { r in
                    [try Self.record(run, "t\(t)-p0-m0-r\(r)", "fast", fast), try Self.record(run, "t\(t)-p0-m1-r\(r)", "slow", !fast)]
                }
            }
        }
        try await store.insertResults(try results("a", fast: true))
        try await store.insertResults(try results("b", fast: false))
        let report = try await EvalComparison.compare(store: store, baseline: "a", candidate: "b")
        #expect(report.passRateDrop == 0, "the overall rate hides it")
        let violations = report.violations(maxDrop: 0.5).map(\.subject)
        #expect(violations == ["case t0-p0-m0 (fast)", "case t1-p0-m0 (fast)", "provider fast"], "repeats pooled: \(violations)")
        #expect(report.regressions == ["case t0-p0-m0 (fast)", "case t1-p0-m0 (fast)"])
        #expect(report.violations(maxDrop: 1).isEmpty, "nothing drops by more than everything")
        #expect(report.text.contains("provider fast") && report.text.contains("2 cases regressed, 2 improved"), "\(report.text)")

        // The same runs compared the other way round: the slow provider regressed now.
        let reverse = try await EvalComparison.compare(store: store, baseline: "b", candidate: "a")
        #expect(reverse.violations(maxDrop: 0).map(\.subject).contains("provider slow"))
        // A run compared with itself passes the strictest gate.
        #expect(try await EvalComparison.compare(store: store, baseline: "a", candidate: "a").violations(maxDrop: 0).isEmpty)
    }

    @Test("field accuracy from the fields assertion: one field's drop fails the gate while every case still passes")
    func fieldRegression() async throws {
        let store = InMemoryStore()
        for id in ["a", "b"] { try await store.saveRun(EvalRunRecord(id: id, suite: "licences.yaml", description: "", startedAt: Date())) }
        try await store.insertResults((0..<4).map { try Self.record("a", "c\($0)", "m", true, fields: ["name": true, "dob": $0 < 3]) })
        try await store.insertResults((0..<4).map { try Self.record("b", "c\($0)", "m", true, fields: ["name": $0 < 2, "dob": true]) })
        let report = try await EvalComparison.compare(store: store, baseline: "a", candidate: "b")
        #expect(report.fields.map(\.subject) == ["field dob", "field name"])
        #expect(report.fields.map(\.candidate) == [1, 0.5] && report.fields.map(\.baseline) == [0.75, 1])
        #expect(report.violations(maxDrop: 0.2).map(\.subject) == ["field name"])
        #expect(report.violations(maxDrop: 0.5).isEmpty, "a drop of exactly the allowance passes")
    }

    @Test("runs of different suites, or a run that does not exist, are refused with a clear error")
    func refusals() async throws {
        let store = InMemoryStore()
        try await store.saveRun(EvalRunRecord(id: "a", suite: "one.yaml", description: "", startedAt: Date()))
        try await store.saveRun(EvalRunRecord(id: "b", suite: "two.yaml", description: "", startedAt: Date()))
        await #expect(throws: EvalSuiteError.self) { try await EvalComparison.compare(store: store, baseline: "a", candidate: "b") }
        do {
            _ = try await EvalComparison.compare(store: store, baseline: "a", candidate: "b")
        } catch {
            #expect("\(error)".contains("only runs of one suite compare"), "\(error)")
        }
        do {
            _ = try await EvalComparison.compare(store: store, baseline: "a", candidate: "zz")
            Issue.record("a missing run compared")
        } catch {
            #expect("\(error)".contains("no run zz"), "\(error)")
        }
    }
}

@Suite("Experiments: variants compared from their traces")
struct ExperimentTests {
    @Test("Wilson and Newcombe intervals match their published worked values")
    func intervals() {
        // Newcombe (1998), table I: 81 of 263 → 0.2553–0.3662; and 15 of 148 → 0.0624–0.1605.
        let a = Interval.wilson(81, 263), b = Interval.wilson(15, 148)
        #expect(abs(a.lowerBound - 0.2553) < 0.0005 && abs(a.upperBound - 0.3662) < 0.0005, "\(a)")
        #expect(abs(b.lowerBound - 0.0624) < 0.0005 && abs(b.upperBound - 0.1605) < 0.0005, "\(b)")
        // Newcombe (1998), table II, example (e): 56/70 − 48/80 = 0.2000, method 10: 0.0524 to 0.3339.
        let d = Interval.rateDifference((48, 80), (56, 70))
        #expect(abs(d.lowerBound - 0.0524) < 0.0005 && abs(d.upperBound - 0.3339) < 0.0005, "\(d)")
        #expect(Interval.wilson(0, 0) == 0...1, "no evidence: anything")
    }

    @Test("per variant: requests counted once across attempts, success with an interval, the difference marked significant only when it is")
    func report() {
        let start = Date(timeIntervalSince1970: 1_000)
        var traces: [TraceRecord] = []
        func add(_ variant: String, _ n: Int, ok: Bool, retried: Bool = false, cost: Double) {
            let request = "\(variant)-\(traces.count)"
            let tags = ["function": "greet", "variant": variant]
            if retried {
                traces.append(TraceRecord(requestID: request, startedAt: start, endedAt: start.addingTimeInterval(0.1), route: "greet", surface: "openai",
                                          model: "m", provider: "p", upstreamModel: "m", attempt: 1, status: .error, costUSD: 0, tags: tags))
            }
            traces.append(TraceRecord(requestID: request, startedAt: start.addingTimeInterval(retried ? 0.1 : 0), endedAt: start.addingTimeInterval(0.3),
                                      route: "greet", surface: "openai", model: "m", provider: "p", upstreamModel: "m", attempt: retried ? 2 : 1,
                                      status: ok ? .ok : .error, costUSD: cost, tags: tags))
        }
        for n in 0..<200 { add("va", n, ok: n % 10 != 0, retried: n % 4 == 0, cost: 0.001) }   // 90 % succeed
        for n in 0..<200 { add("vb", n, ok: n % 2 == 0, cost: 0.002) }                          // 50 % succeed
        for n in 0..<200 { add("vc", n, ok: n % 10 != 1, cost: 0.001) }                         // 90 % succeed
        traces.append(TraceRecord(requestID: "other", startedAt: start, endedAt: start, route: "x", surface: "openai", model: "m", provider: "p",
                                  upstreamModel: "m", attempt: 1, status: .error, tags: ["function": "other", "variant": "va"]))
        let report = ExperimentReport.make(function: "greet", traces: traces)
        #expect(report.variants.map(\.variant) == ["va", "vb", "vc"] && report.baseline == "va")
        #expect(report.variants.map(\.requests) == [200, 200, 200], "a retried request counts once; another function's traces are left out")
        #expect(report.variants.map(\.succeeded) == [180, 100, 180])
        #expect(abs(report.variants[0].latencyPercentile(50) - 300) < 0.01, "a request's latency spans its attempts")
        let vb = report.differences.first { $0.variant == "vb" }!, vc = report.differences.first { $0.variant == "vc" }!
        #expect(vb.significantSuccess && vb.successRate.upperBound < 0, "40 points worse is significant: \(vb.successRate)")
        #expect(!vc.significantSuccess, "the same rate is not: \(vc.successRate)")
        #expect(vb.cost.lowerBound > 0.0009 && vb.cost.upperBound < 0.0011, "vb costs 0.001 more: \(vb.cost)")
        #expect(report.text.contains("(significant)") && report.text.contains("vb"))
        let againstB = ExperimentReport.make(function: "greet", traces: traces, baseline: "vb")
        #expect(againstB.baseline == "vb" && againstB.differences.map(\.variant) == ["va", "vc"])
    }
}
