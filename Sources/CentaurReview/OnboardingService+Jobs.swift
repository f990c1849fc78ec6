import CentaurExtraction
import CentaurStore
import Foundation
import Logging

/// The onboarding workflow's background work: extraction jobs, run by a ``JobWorker``.
extension OnboardingService: JobHandler {
    public func run(_ job: JobRecord) async throws {
        try await extract(job)
    }

    /// A document that cannot be read, or a workflow that refuses the step, will not change by trying again.
    public func isPermanent(_ error: any Error) -> Bool {
        error is WorkflowError || error is DocumentError
    }

    /// The failure is kept on the application, where the applicant and reviewers see it, and in the audit log.
    public func gaveUp(_ job: JobRecord, error: any Error) async {
        do {
            try await recordExtractionFailure(job, message: String(describing: error))
        } catch {
            logger.error("cannot record a failed extraction", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
        }
    }
}

extension JobWorker {
    /// The worker for the onboarding workflow: extraction jobs from the service's store, handled by the service, with
    /// its lease and clock.
    public init(onboarding service: OnboardingService, signal: JobSignal, pollInterval: Duration = .seconds(1),
                name: String = "worker-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))", concurrency: Int = 1) {
        self.init(queue: service.store, handlers: [.extraction: service], signal: signal,
                  lease: .milliseconds(Int64(service.lease * 1000)), pollInterval: pollInterval, name: name,
                  concurrency: concurrency, now: service.now, logger: service.logger)
    }
}
