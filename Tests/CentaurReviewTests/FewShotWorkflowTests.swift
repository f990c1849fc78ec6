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
    @Test("the extraction job asks the selector for the application's own id and sends the example turns; the prompt version says so")
    func subjectIsTheApplication() async throws {
        let type = DocumentType.driversLicense
        let answer = JSONValue.object(Dictionary(uniqueKeysWithValues: type.modelFields.map { ($0.name, JSONValue.null) }))
        let model = ScriptedModel(steps: Array(repeating: .respond(ModelResponse(model: "m", content: [.text(answer.jsonString())], stopReason: .endTurn,
                                                                                  usage: .zero)), count: 4))
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
