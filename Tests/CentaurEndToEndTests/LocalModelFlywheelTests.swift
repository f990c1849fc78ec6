import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurEvals
import CentaurExtraction
import CentaurGateway
import CentaurRetrieval
import CentaurReview
import CentaurRules
import CentaurStore
import CentaurTestSupport
import Foundation
import Logging
import Testing

extension LocalModelTests {
    /// The flywheel's proof: the same 0.5B local model reading the same OCR text of held-out licence fronts gets more
    /// fields right with the nearest human-labelled fronts as worked examples.
    @Suite(.serialized, .enabled(if: (LocalModel.isInstalled && FlywheelSamples.present) || (LocalModel.isRequired && Samples.required),
                                 "run scripts/setup-local-model and scripts/generate-samples --out .centaur/samples-flywheel --count 24"))
    struct LocalModelFlywheelTests {
        @Test("the lift: corrections made through the review flow, as few-shot examples, raise held-out field accuracy to ≥ 75 % and above zero-shot")
        func lift() async throws {
            let type = DocumentType.driversLicense
            let store = InMemoryStore()
            let service = OnboardingService(store: store, blobs: InMemoryBlobStore(), ruleSet: try RuleSet.builtIn(named: "driver-onboarding"),
                                            pipeline: DocumentPipeline(modelUse: .never))
            let people = try FlywheelSamples.people()
            try #require(people.count >= 20, "generate 24 applicants into \(FlywheelSamples.root.path)")

            // Each applicant uploads the front of their licence; its barcode is on the back, so nothing is read for
            // sure and the applicant types their details in when confirming. Every fourth mistypes the postal code,
            // and a reviewer corrects it.
            var reviewed = 0
            for person in people {
                let expected = try JSONValue(parsing: Data(contentsOf: FlywheelSamples.url(person, "expected.json")))[type.id]?.objectValue ?? [:]
                let (application, _) = try await service.create(marketState: expected["jurisdiction"]?.stringValue)
                _ = try await service.upload(applicationID: application.id, kind: .licenseFront, name: "license-front.png",
                                             data: try Data(contentsOf: FlywheelSamples.url(person, "license-front.png")))
                try await JobWorker(onboarding: service, signal: JobSignal()).drain()
                var typed = expected.filter { type.field($0.key)?.askModel == true }
                let mistyped = reviewed < people.count / 4 && typed["postal_code"] != nil
                if mistyped { typed["postal_code"] = "00000" }
                let confirmed = try await service.confirm(applicationID: application.id, values: [type.id: typed])
                if mistyped, confirmed.state == .inReview {
                    _ = try await service.claim(applicationID: application.id, reviewer: "reviewer:ana")
                    _ = try await service.correct(applicationID: application.id, documentType: type.id, field: "postal_code",
                                                  value: expected["postal_code"]!, reason: "as printed on the front", reviewer: "reviewer:ana")
                    reviewed += 1
                }
            }
            let corrections = try await service.datasetExamples(documentType: type.id)
            print("flywheel: \(corrections.count) corrections (\(reviewed) by a reviewer) from \(people.count) applicants")
            #expect(corrections.count >= 20 && reviewed >= 3, "\(corrections.count) corrections, \(reviewed) by a reviewer")

            // The dataset: a version split by applicant; the training documents are the examples to draw from.
            // Application ids are random, so the share that holds out exactly 8 of the 24 is found from their points.
            let library = DatasetLibrary(directory: temporaryDirectory("centaur-flywheel"))
            let all = try await service.datasetRows(documentType: type.id)
            let points = all.map { DatasetLibrary.point(of: $0.subject) }.sorted()
            let (manifest, _) = try library.snapshot(all, documentType: type.id, testShare: (points[7] + points[8]) / 2)
            let rows = try library.rows(manifest.id)
            let pool = rows.filter { $0.split == "train" }.compactMap { row in
                row.text.map { FewShotExample(subject: row.subject, documentType: type.id, text: $0, answer: .object(row.fields)) }
            }
            let cases = rows.filter { $0.split == "test" }.compactMap { row in row.text.map { FlywheelCase(subject: row.subject, text: $0, truth: row.fields) } }
            try #require(cases.count == 8 && pool.count == people.count - 8, "\(pool.count) training and \(cases.count) held-out documents")
            #expect(Set(pool.map(\.subject)).isDisjoint(with: cases.map(\.subject)), "no applicant on both sides")

            let configuration = try ConfigurationLoader().load(path: nil)
            let name = configuration.defaultModel
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(600))))
            let registry = ModelRegistry(configuration: configuration, httpClient: client, logger: Logger(label: "test"))
            var extractor = ModelExtractor(model: try registry.resolve(name).model, modelName: name, prices: registry.prices, readsImages: false)
            let zeroShot = FlywheelVariant(name: "zero-shot", extractor: extractor)
            extractor.fewShot = NearestExamples(pool, k: 3, embedder: try MiniLMEncoder(directory: MiniLMEncoder.defaultDirectory(
                home: URL(fileURLWithPath: LocalModel.home))))
            let fewShot = FlywheelVariant(name: "nearest3", extractor: extractor)
            let outcome: Result<FlywheelReport, any Error>
            do {
                outcome = .success(try await registry.withServices(for: name) {
                    try await FlywheelEvaluation.run(type: type, cases: cases, variants: [zeroShot, fewShot], dataset: manifest.id, trainExamples: pool.count)
                })
            } catch { outcome = .failure(error) }
            try await client.shutdown()
            let report = try outcome.get()
            print(report.text)
            let (zero, few) = (report.variants[0], report.variants[1])
            #expect(few.accuracy >= 0.75, "few-shot field accuracy \(few.correct)/\(few.compared)")
            #expect(few.accuracy > zero.accuracy, "zero-shot \(zero.correct)/\(zero.compared), few-shot \(few.correct)/\(few.compared)")
            #expect(few.invalid == 0 && zero.invalid == 0, "every answer schema-valid")
        }
    }
}
