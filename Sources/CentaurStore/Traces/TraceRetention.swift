import CentaurCore
import Foundation
import Logging
import ServiceLifecycle

/// Keeps traces for a number of days (`traces.retention_days`): at start and then every `interval`, deletes those
/// of calls started before the cut-off. A failed purge is logged and tried again at the next turn; it never stops the
/// server.
public struct TraceRetention: Service {
    public let store: any TraceStore
    public let days: Int
    public var interval: Duration
    public var now: @Sendable () -> Date
    public var logger: Logger

    public init(store: any TraceStore, days: Int, interval: Duration = .seconds(3600), now: @escaping @Sendable () -> Date = Date.init,
                logger: Logger = .disabled) {
        self.store = store
        self.days = max(1, days)
        self.interval = interval
        self.now = now
        self.logger = logger
    }

    /// The first instant kept.
    public var cutoff: Date { now().addingTimeInterval(-Double(days) * 86_400) }

    /// One purge; returns how many traces went.
    @discardableResult
    public func purgeOnce() async throws -> Int {
        let removed = try await store.purgeTraces(startedBefore: cutoff)
        if removed > 0 { logger.info("trace retention", metadata: ["removed": "\(removed)", "days": "\(days)"]) }
        return removed
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do { try await purgeOnce() } catch {
                logger.warning("trace retention failed; trying again later", metadata: ["error": "\(error)"])
            }
            // Sleeping ends early when the server stops.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
