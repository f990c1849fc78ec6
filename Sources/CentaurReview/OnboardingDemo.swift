import CentaurCore
import CentaurExtraction
import CentaurStore
import Foundation

/// Sample applications that walk every path of the workflow, built from the generated samples
/// (`scripts/generate-samples`). `centaur demo` runs it; the workflow tests run it too.
public struct OnboardingDemo: Sendable {
    public struct Outcome: Sendable, Encodable {
        public var path: String
        public var description: String
        public var id: String
        public var state: ApplicationState
        public var reasons: [String]
    }

    public let service: OnboardingService
    public let samples: URL
    public var progress: @Sendable (String) -> Void = { _ in }

    public init(service: OnboardingService, samples: URL, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.service = service
        self.samples = samples
        self.progress = progress
    }

    func file(_ person: String, _ name: String) throws -> (String, Data) {
        let url = samples.appendingPathComponent(person).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw WorkflowError(.invalid, "missing sample \(url.path): run scripts/generate-samples")
        }
        return (name, data)
    }

    /// A licence back whose barcode says the licence expired in 2020 (the same applicant otherwise).
    func expiredBack(_ person: String) async throws -> (String, Data) {
        let (_, payload) = try file(person, "license-payload.txt")
        var text = String(decoding: payload, as: UTF8.self)
        guard let range = text.range(of: #"\nDBA[0-9]{8}"#, options: .regularExpression) else {
            throw WorkflowError(.invalid, "the sample payload of \(person) has no expiration date (DBA)")
        }
        text.replaceSubrange(range, with: "\nDBA03062020")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-demo-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try await BarcodeExtractor.render(payload: Array(text.utf8), to: url)
        return ("license-back-expired.png", try Data(contentsOf: url))
    }

    /// The state the sample person's licence is from: they drive there.
    func homeState(_ person: String) throws -> String {
        let (_, data) = try file(person, "expected.json")
        return (try JSONValue(parsing: data))["us-drivers-license"]?["jurisdiction"]?.stringValue ?? "IL"
    }

    func submit(_ person: String, _ files: [(DocumentKind, (String, Data))]) async throws -> String {
        let (application, _) = try await service.create(marketState: try homeState(person))
        for (kind, (name, data)) in files {
            try await service.upload(applicationID: application.id, kind: kind, name: name, data: data)
        }
        try await JobWorker(onboarding: service, signal: JobSignal()).drain()
        return application.id
    }

    func outcome(_ path: String, _ description: String, _ id: String) async throws -> Outcome {
        let detail = try await service.detail(applicationID: id)
        progress("\(path): \(detail.application.state.rawValue)")
        return Outcome(path: path, description: description, id: id, state: detail.application.state, reasons: detail.reasons)
    }

    /// Runs every path and returns where each application ended.
    public func run() async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        func documents(_ person: String, front: String = "license-front.png") throws -> [(DocumentKind, (String, Data))] {
            [(.licenseFront, try file(person, front)), (.licenseBack, try file(person, "license-back.png")), (.i9, try file(person, "i9.pdf"))]
        }

        progress("clean: licence and I-9 that agree, confirmed as extracted")
        let clean = try await submit("person-01", try documents("person-01"))
        _ = try await service.confirm(applicationID: clean, values: [:])
        outcomes.append(try await outcome("clean", "confirmed as extracted; every rule passes", clean))

        progress("adjusted: the applicant changes a high-risk value")
        let adjusted = try await submit("person-02", try documents("person-02"))
        _ = try await service.confirm(applicationID: adjusted, values: ["form-i9": ["ssn": "532-48-9001"]])
        outcomes.append(try await outcome("adjusted", "the applicant changed the I-9's SSN", adjusted))

        progress("rule-blocked: the licence barcode says it expired")
        let blocked = try await submit("person-03", [(.licenseFront, try file("person-03", "license-front.png")),
                                        (.licenseBack, try await expiredBack("person-03")), (.i9, try file("person-03", "i9.pdf"))])
        _ = try await service.confirm(applicationID: blocked, values: [:])
        outcomes.append(try await outcome("rule-blocked", "an expired licence (a block rule)", blocked))

        progress("disagreeing: the I-9's fillable fields and its printed page say different things")
        let disagreeing = try await submit("person-04", try documents("person-04") + [(.other, try file("person-05", "i9-flat.pdf"))])
        _ = try await service.confirm(applicationID: disagreeing, values: [:])
        outcomes.append(try await outcome("disagreeing", "two I-9 pages whose values differ", disagreeing))

        progress("adversarial: the licence front asks the AI to approve the applicant")
        let adversarial = try await submit("person-01", try documents("person-01", front: "license-front-injected.png"))
        _ = try await service.confirm(applicationID: adversarial, values: [:])
        outcomes.append(try await outcome("adversarial", "a licence front with instructions to the AI", adversarial))

        progress("resubmission: the reviewer asks for a valid licence; the applicant sends it")
        _ = try await service.decide(applicationID: blocked, decision: .requestResubmission,
                                     reason: "The licence has expired; please upload your renewed licence.", reviewer: "reviewer:demo")
        try await service.upload(applicationID: blocked, kind: .licenseBack, name: "license-back.png", data: try file("person-03", "license-back.png").1)
        try await JobWorker(onboarding: service, signal: JobSignal()).drain()
        _ = try await service.confirm(applicationID: blocked, values: [:])
        outcomes.append(try await outcome("resubmitted", "the blocked applicant sent the renewed licence", blocked))
        return outcomes
    }
}
