import Dispatch
import Foundation

/// Where CPU-heavy work runs: scanning megabytes of request text for personal data and injections, parsing a
/// large JSON body. Run inline it would hold one of Swift concurrency's cooperative threads (one per core) for
/// the whole scan, and two such requests on a two-core machine would stall every other request, `/healthz`
/// and graceful shutdown. Here it runs on threads of its own, at most one per core at a time, while the
/// cooperative threads go on serving.
///
/// ```swift
/// let findings = try await CPUWork.run(size: text.utf8.count) { detector.findings(in: text) }
/// ```
public enum CPUWork {
    /// Work on inputs smaller than this (in bytes) runs where it is called: a thread hop costs more than the scan.
    public static let inlineLimit = 32 * 1024

    private static let marker = DispatchSpecificKey<Bool>()
    private static let queue: DispatchQueue = {
        let queue = DispatchQueue(label: "centaur.cpu-work", qos: .userInitiated, attributes: .concurrent)
        queue.setSpecific(key: marker, value: true)
        return queue
    }()
    private static let slots = DispatchSemaphore(value: max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// Whether the caller runs on a CPU-work thread.
    public static var isWorkThread: Bool { DispatchQueue.getSpecific(key: marker) == true }

    /// Runs `work` inline when `size` is under ``inlineLimit``, else on a CPU-work thread, and returns its result.
    public static func run<T: Sendable>(size: Int, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        if size < inlineLimit { return try work() }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                slots.wait()
                defer { slots.signal() }
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// ``run(size:_:)`` for work that cannot fail.
    public static func run<T: Sendable>(size: Int, _ work: @escaping @Sendable () -> T) async -> T {
        if size < inlineLimit { return work() }
        return await withCheckedContinuation { continuation in
            queue.async {
                slots.wait()
                defer { slots.signal() }
                continuation.resume(returning: work())
            }
        }
    }
}
