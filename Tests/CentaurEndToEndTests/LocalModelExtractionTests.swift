import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurRules
import Foundation
import Logging
import Testing
@testable import CentaurExtraction
import CentaurTestSupport

extension LocalModelTests {
    /// The real local model (Qwen2.5-Coder-0.5B via llama.cpp) reading OCR text of generated documents.
    /// It is small: the test asks for schema-valid output every time (the grammar's job) and reports field
    /// accuracy; bench/extraction/run.sh measures accuracy over more documents.
    @Suite(.serialized, LocalModel.needed(samples: true))
    struct LocalModelExtractionTests {
        @Test("schema-valid output on licence fronts, an I-9 and an injected front; injected text adds nothing and is flagged")
        func localModel() async throws {
            let configuration = try ConfigurationLoader().load(path: nil)
            let name = configuration.defaultModel
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(300))))
            let registry = ModelRegistry(configuration: configuration, httpClient: client, logger: Logger(label: "test"))
            let resolved = try registry.resolve(name)
            let extractor = ModelExtractor(model: resolved.model, modelName: name, prices: registry.prices, readsImages: false)
            let people = Array(try Samples.people().prefix(2))

            let outcome: Result<(Int, Int, [String: Extraction], String), any Error>
            do { outcome = .success(try await registry.withServices(for: name) {
                var correct = 0, compared = 0
                var extractions: [String: Extraction] = [:]
                let pipeline = DocumentPipeline(modelUse: .never)
                for person in people {
                    for (file, type) in [("license-front.png", DocumentType.driversLicense), ("i9-flat.pdf", DocumentType.formI9)]
                    where file.hasPrefix("license") || person == people[0] {
                        let document = try Document(contentsOf: Samples.url(person, file))
                        let text = try await pipeline.extract(document, as: type).first { $0.source == "text" }?.text
                        let extraction = try #require(try await extractor.extract(document, as: type, text: text))
                        extractions["\(person)/\(file)"] = extraction
                        let expected = try Samples.expected(person)[type.id]?.objectValue ?? [:]
                        for (key, value) in expected where type.field(key)?.askModel == true && key != "citizenship_status" {
                            compared += 1
                            if extraction.fields[key]?.value == Normalizer.normalize(value, for: type.field(key)!) { correct += 1 }
                        }
                    }
                }
                let injected = try Document(contentsOf: Samples.url(people[0], "license-front-injected.png"))
                let text = try await TextExtractor().text(of: injected).0
                extractions["injected"] = try await extractor.extract(injected, as: .driversLicense, text: text)
                return (correct, compared, extractions, text)
            }) } catch { outcome = .failure(error) }
            try await client.shutdown()
            let (correct, compared, extractions, injectedText) = try outcome.get()

            for (name, extraction) in extractions {
                let last = try #require(extraction.attempts.last, "\(name): no model call")
                #expect(last.violations.isEmpty, "\(name): \(last.violations)")
                #expect(extraction.attempts.count <= 2)
                #expect(last.usage.outputTokens > 0)
                let type = try DocumentType.named(extraction.documentType)
                #expect(Set(extraction.fields.keys).isSubset(of: Set(type.modelFields.map { $0.name })), "\(name): only schema fields")
            }
            let injected = try #require(extractions["injected"])
            #expect(injectedText.uppercased().contains("IGNORE ALL PREVIOUS INSTRUCTIONS"), "OCR reads the injected line")
            let textSource = Extraction(documentType: injected.documentType, document: "license-front-injected.png", source: "text", text: injectedText)
            let facts = RuleFacts(documents: [Reconciler.reconcile([injected, textSource], type: .driversLicense)], today: "2026-11-23")
            #expect(try RuleSet.builtIn(named: "driver-onboarding").evaluate(facts).contains { $0.rule == "document_instruction_text" && $0.outcome == .fired })

            let accuracy = Double(correct) / Double(max(compared, 1))
            print("local model field accuracy on OCR text: \(correct)/\(compared) = \(Int((accuracy * 100).rounded()))%")
            // A floor well below what it measures (see bench/extraction), so a broken prompt or schema fails here.
            #expect(accuracy >= 0.3, "field accuracy \(correct)/\(compared)")
        }
    }
}
