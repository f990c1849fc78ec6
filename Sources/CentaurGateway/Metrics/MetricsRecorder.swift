import CentaurCore
import CoreMetrics
import Foundation
import Metrics

/// Counts every finished call in swift-metrics: requests, attempts, upstream errors by class, tokens,
/// cost, latency and time to first token. The backend is injected (Prometheus in `centaur serve`).
///
/// Metric names: `centaur_requests_total{route,surface,status}`, `centaur_attempts_total{model,provider,status}`,
/// `centaur_upstream_errors_total{model,error_class}`, `centaur_tokens_total{model,kind}`,
/// `centaur_cost_usd_total{model}`, `centaur_request_duration_seconds{route}`,
/// `centaur_time_to_first_token_seconds{model}`.
public struct MetricsRecorder: CallRecorder {
    public let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    public func record(_ call: CompletedCall) {
        let status = call.error == nil ? "ok" : "error"
        Counter(label: "centaur_requests_total", dimensions: [("route", call.route), ("surface", call.surface.rawValue), ("status", status)], factory: factory)
            .increment()
        Timer(label: "centaur_request_duration_seconds", dimensions: [("route", call.route)], factory: factory)
            .recordNanoseconds(Int64(max(0, call.endedAt.timeIntervalSince(call.startedAt)) * 1e9))
        for attempt in call.attempts {
            let outcome = attempt.succeeded ? "ok" : "error"
            Counter(label: "centaur_attempts_total", dimensions: [("model", attempt.model), ("provider", attempt.provider), ("status", outcome)], factory: factory)
                .increment()
            if case .failure(let error) = attempt.outcome {
                Counter(label: "centaur_upstream_errors_total", dimensions: [("model", attempt.model), ("error_class", error.kind.description)], factory: factory)
                    .increment()
            }
            for (kind, count) in [("input", attempt.usage.inputTokens), ("output", attempt.usage.outputTokens),
                                  ("cache_read", attempt.usage.cacheReadTokens), ("cache_write", attempt.usage.cacheWriteTokens)] where count > 0 {
                Counter(label: "centaur_tokens_total", dimensions: [("model", attempt.model), ("kind", kind)], factory: factory)
                    .increment(by: count)
            }
            if let cost = attempt.costUSD, cost > 0 {
                FloatingPointCounter(label: "centaur_cost_usd_total", dimensions: [("model", attempt.model)], factory: factory)
                    .increment(by: cost)
            }
            if let first = attempt.timeToFirstToken {
                Timer(label: "centaur_time_to_first_token_seconds", dimensions: [("model", attempt.model)], factory: factory)
                    .recordNanoseconds(Int64(first.seconds * 1e9))
            }
        }
    }
}

/// Sends each call to several recorders (traces and metrics).
public struct CompositeRecorder: CallRecorder {
    public let recorders: [any CallRecorder]

    public init(_ recorders: [any CallRecorder]) {
        self.recorders = recorders
    }

    /// Every recorder gets the call; the first failure is thrown once all have had it.
    public func record(_ call: CompletedCall) async throws {
        var failure: (any Error)?
        for recorder in recorders {
            do { try await recorder.record(call) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }
}
