import CentaurCore
import CentaurExtraction
import CentaurTestSupport
import Foundation
import Synchronization
import Testing
@testable import CentaurEvals

/// The example turns the model was shown, as `document number|example text`.
final class SeenTurns: Sendable {
    private let turns = Mutex<[String]>([])
    func add(_ new: [String]) { turns.withLock { $0 += new } }
    var all: [String] { turns.withLock { $0 } }
}

@Suite("The flywheel's measurement")
struct FlywheelTests {
    @Test("few-shot turns come from other subjects' labelled documents; accuracy per variant and field; a significant gain is promoted, none is not")
    func lift() async throws {
        let type = DocumentType.driversLicense
        @Sendable func truth(_ n: Int) -> [String: JSONValue] { ["last_name": .string("NAME\(n)"), "first_name": .string("ANA"), "city": .string("CITY\(n)")] }
        let pool = (0..<12).map { FewShotExample(subject: "s\($0)", documentType: type.id, text: "LN NAME\($0) FN ANA CITY\($0)", answer: .object(truth($0))) }
        let cases = (0..<10).map { FlywheelCase(subject: "s\($0)", text: "LN NAME\($0) FN ANA CITY\($0)", truth: truth($0)) }
        let seen = SeenTurns()
        // With worked examples the model answers every field; without, it gets the city wrong.
        let model = ScriptedModel(steps: Array(repeating: .compute { request in
            let document = request.messages.last?.text ?? ""
            let n = Int(document.components(separatedBy: "LN NAME").last?.prefix { $0.isNumber } ?? "") ?? -1
            let examples = request.messages.dropLast().filter { $0.role == .user }.map(\.text)
            seen.add(examples.map { "\(n)|\($0)" })
            // Every field the schema asks for, null where the document has none (as a model answers).
            var answer = Dictionary(uniqueKeysWithValues: type.modelFields.map { ($0.name, JSONValue.null) }).merging(truth(n)) { _, new in new }
            if examples.isEmpty { answer["city"] = "SPRINGFIELD" }
            return ModelResponse(model: "m", content: [.text(JSONValue.object(answer).jsonString())], stopReason: .endTurn,
                                 usage: Usage(inputTokens: examples.isEmpty ? 100 : 400, outputTokens: 30))
        }, count: 40))
        var extractor = ModelExtractor(model: model, modelName: "m", readsImages: false)
        let zeroShot = FlywheelVariant(name: "zero-shot", extractor: extractor)
        extractor.fewShot = NearestExamples(pool, k: 2, embedder: LetterEmbedder())
        let report = try await FlywheelEvaluation.run(type: type, cases: cases, variants: [zeroShot, FlywheelVariant(name: "nearest2", extractor: extractor)],
                                                      trainExamples: pool.count)
        #expect(report.variants.map(\.correct) == [20, 30] && report.variants.map(\.compared) == [30, 30])
        #expect(report.variants[0].fields["city"] == [0, 10] && report.variants[1].fields["city"] == [10, 10])
        #expect(report.variants[1].inputTokens == 4_000 && report.variants[0].inputTokens == 1_000)
        #expect(report.promote == "nearest2" && report.differences.first?.significant == true, "\(report.text)")
        #expect(report.text.contains("promote: nearest2") && report.html.contains("<table>"))

        let examples = seen.all
        #expect(examples.count == 20, "two examples for each of ten documents")
        #expect(examples.allSatisfy { entry in
            let n = entry.prefix { $0 != "|" }
            return !entry.contains("LN NAME\(n) ")
        }, "never the subject's own document")

        // The same model both ways: no gain, nothing promoted.
        let flat = try await FlywheelEvaluation.run(type: type, cases: cases, variants: [zeroShot, zeroShot])
        #expect(flat.promote == nil && flat.text.contains("keep: zero-shot"))
    }

    @Test("the few-shot prompt version is recorded on every attempt")
    func promptVersion() async throws {
        let type = DocumentType.driversLicense
        let answer = JSONValue.object(Dictionary(uniqueKeysWithValues: type.modelFields.map { ($0.name, $0.name == "last_name" ? "X" : JSONValue.null) }))
        let model = ScriptedModel(steps: [.respond(ModelResponse(model: "m", content: [.text(answer.jsonString())], stopReason: .endTurn, usage: .zero))])
        var extractor = ModelExtractor(model: model, modelName: "m", readsImages: false)
        extractor.fewShot = NearestExamples([FewShotExample(subject: "a", documentType: type.id, text: "LN X", answer: ["last_name": "X"])], k: 3,
                                            embedder: LetterEmbedder())
        let extraction = try await extractor.extract(text: "LN Y", name: "front.png", as: type, subject: "b")
        #expect(extraction.attempts.first?.promptVersion == "extract-v1+nearest3/us-drivers-license@\(type.version)")
        #expect(model.requests.first?.messages.count == 3, "one example: its user and assistant turns, then the document")
    }
}
