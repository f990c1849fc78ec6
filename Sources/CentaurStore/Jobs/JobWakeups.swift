import Foundation
import ServiceLifecycle

/// Wakes a ``JobSignal`` whenever any process on the shared database queues a job (``Stores/jobWakeups``: PostgreSQL's
/// LISTEN/NOTIFY), until shutdown: a job queued on one replica is started at once by a waiting worker on another,
/// instead of at its next poll.
public struct JobWakeups: Service {
    let listen: @Sendable (@escaping @Sendable () -> Void) async throws -> Void
    let signal: JobSignal

    public init(listen: @escaping @Sendable (@escaping @Sendable () -> Void) async throws -> Void, signal: JobSignal) {
        self.listen = listen
        self.signal = signal
    }

    public func run() async throws {
        let (listen, signal) = (listen, signal)
        do {
            try await cancelWhenGracefulShutdown { try await listen { signal.notify() } }
        } catch is CancellationError {
            return
        }
    }
}
