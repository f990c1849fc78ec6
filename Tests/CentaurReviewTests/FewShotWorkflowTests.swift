import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurRules
import CentaurStore
import CentaurTestSupport
import Foundation
import Synchronization
import Testing

/// Hands out one fixed example and remembers whom it was asked for.
final class RecordingSelector: FewShotSelector {
    let label = "recorded1"
    let subjects = Mutex<[String?]>([])
    func examples(for type: DocumentType, text: String, subject: String?) async throws -> [FewShotExample] {
        subjects.withLock { $0.append(subject) }
        return [FewShotExample(subject: "someone-else", documentType: type.id, text: "LN EXAMPLE FN ONE", answer: ["last_name": "EXAMPLE"])]
    }
}

@Suite("Few-shot extraction in the workflow", Samples.needed)
struct FewShotWorkflowTests {
    /// A model that answers `count` times with every field the type asks for, all null (a valid, empty answer).
    static func nullAnswers(for type: DocumentType, count: Int) -> ScriptedModel {
        let answer = JSONValue.object(Dictionary(uniqueKeysWithValues: type.modelFields.map { ($0.name, JSONValue.null) }))
        return ScriptedModel(steps: Array(repeating: .respond(ModelResponse(model: "m", content: [.text(answer.jsonString())], stopReason: .endTurn,
                                                                            usage: .zero)), count: count))
    }

    @Test("the extraction job asks the selector for the application's own id and sends the example turns; the prompt version says so")
    func subjectIsTheApplication() async throws {
        let type = DocumentType.driversLicense
        let model = Self.nullAnswers(for: type, count: 4)
        var extractor = ModelExtractor(model: model, modelName: "m", readsImages: false)
        let selector = RecordingSelector()
        extractor.fewShot = selector
        let (service, store) = try Fixtures.service(pipeline: DocumentPipeline(model: extractor, modelUse: .always))
        let (application, _) = try await service.create()
        _ = try await service.upload(applicationID: application.id, kind: .licenseFront, name: "license-front.png",
                                     data: try Samples.data("person-01", "license-front.png"))
        try await JobWorker(onboarding: service, signal: JobSignal()).drain()
        #expect(selector.subjects.withLock { $0 } == [application.id])
        let request = try #require(model.requests.first)
        #expect(request.messages.count == 3 && request.messages[0].text.contains("LN EXAMPLE FN ONE") && request.messages[1].text.contains("EXAMPLE"))
        let extraction = try #require(try await store.latestExtraction(applicationID: application.id))
        #expect(extraction.documents.contains("extract-v1+recorded1/us-drivers-license@"), "the attempt records the few-shot prompt version")
    }
}

@Suite("Extraction as an experiment", Samples.needed)
struct ExtractionVariantTests {
    @Test("each application's documents are read by its variant's model, recorded on every attempt; the same application always gets the same one")
    func sticky() async throws {
        let type = DocumentType.driversLicense
        let (a, b) = (FewShotWorkflowTests.nullAnswers(for: type, count: 20), FewShotWorkflowTests.nullAnswers(for: type, count: 20))
        let assign: @Sendable (String) -> String = { id in id.utf8.reduce(0) { $0 + Int($1) } % 2 == 0 ? "small" : "large" }
        let variants = ExtractionVariants(functions: [type.id: .init(name: "extract.us-drivers-license", assign: assign, extractors: [
            "small": ModelExtractor(model: a, modelName: "small", readsImages: false),
            "large": ModelExtractor(model: b, modelName: "large", readsImages: false),
        ])])
        var pipeline = DocumentPipeline(modelUse: .always)
        pipeline.variants = variants
        let (service, store) = try Fixtures.service(pipeline: pipeline)
        var expected: [String: String] = [:]
        for person in ["person-01", "person-02", "person-03", "person-04"] {
            let (application, _) = try await service.create()
            _ = try await service.upload(applicationID: application.id, kind: .licenseFront, name: "license-front.png",
                                         data: try Samples.data(person, "license-front.png"))
            expected[application.id] = assign(application.id)
        }
        try await JobWorker(onboarding: service, signal: JobSignal()).drain()
        for (id, variant) in expected {
            let record = try #require(try await store.latestExtraction(applicationID: id))
            let documents = try JSONDecoder().decode([ReconciledDocument].self, from: Data(record.documents.utf8))
            let attempts = documents.flatMap(\.attempts)
            #expect(!attempts.isEmpty && attempts.allSatisfy { $0.variant == "extract.us-drivers-license/\(variant)" && $0.model == variant },
                    "\(id): \(attempts.map { "\($0.model) \($0.variant ?? "-")" })")
        }
        #expect(a.requests.count + b.requests.count == 4)
        #expect(a.requests.count == expected.values.filter { $0 == "small" }.count)
    }
}
