import CentaurCore
import CentaurExtraction
import CentaurRules
import CentaurTestSupport
import Foundation
import Testing

/// The driver-onboarding rules over real documents: the shared filled I-9s and the generated sample applicants,
/// read by the offline extractors.
@Suite("Rules over extracted documents")
struct DocumentRuleTests {
    @Test("the driver-onboarding rules raise exactly each I-9's expected issues", SharedData.needed, arguments: [
        "filled-01.pdf", "filled-01-flat.pdf", "filled-01-encrypted.pdf",
        "filled-02.pdf", "filled-02-flat.pdf", "filled-03.pdf", "filled-03-flat.pdf", "filled-04.pdf", "filled-04-flat.pdf",
    ])
    func rulesRaiseExpectedIssues(_ file: String) async throws {
        let document = try Document(contentsOf: SharedData.url("i9/\(file)"))
        let results = try await DocumentPipeline(modelUse: .never).extract([document], as: .formI9)
        let facts = RuleFacts(documents: results, today: "2026-11-23")
        let fired = Set(try RuleSet.builtIn(named: "driver-onboarding").evaluate(facts).filter { $0.outcome == .fired }.map(\.rule))
        let person = String(file.prefix(9)) // "filled-0N"
        let expected = try JSONValue(parsing: Data(contentsOf: SharedData.url("i9/\(person).json")))["expected_issues"]
        #expect(fired == Set(expected?.arrayValue?.compactMap(\.stringValue) ?? []))
    }

    @Test("I-9s (AcroForm and flattened) extract to the expected values and pass every rule with the licence", Samples.needed)
    func formsAndRules() async throws {
        let pipeline = DocumentPipeline(modelUse: .never)
        let rules = try RuleSet.builtIn(named: "driver-onboarding")
        for person in try Samples.people().prefix(3) {
            let expected = try Samples.expected(person)
            for file in ["i9.pdf", "i9-flat.pdf"] {
                let results = try await pipeline.extract([try Document(contentsOf: Samples.url(person, file)),
                                                          try Document(contentsOf: Samples.url(person, "license-back.png"))])
                let i9 = try #require(results.first { $0.documentType == "form-i9" })
                for (key, value) in expected["form-i9"]?.objectValue ?? [:] {
                    let normalized = Normalizer.normalize(value, for: DocumentType.formI9.field(key)!)
                    #expect(i9.fields[key] == normalized, "\(person)/\(file).\(key): expected \(normalized), got \(i9.fields[key] ?? .null)")
                }
                let state = expected["us-drivers-license"]?["jurisdiction"]?.stringValue
                let results2 = rules.evaluate(RuleFacts(documents: results, today: "2026-11-23", marketState: state))
                let fired = results2.filter { $0.outcome == .fired }.map(\.rule)
                #expect(fired.isEmpty, "\(person)/\(file): \(fired)")
                // Licence and I-9 together: the cross-document rules ran.
                #expect(results2.first { $0.rule == "list_b_number_mismatch" }?.outcome == .passed)
                #expect(results2.first { $0.rule == "i9_license_name_mismatch" }?.outcome == .passed)
            }
        }
    }

    @Test("an injected licence front fires document_instruction_text; the clean front does not", Samples.needed)
    func injection() async throws {
        let pipeline = DocumentPipeline(modelUse: .never)
        let person = try #require(try Samples.people().first)
        let injected = try await pipeline.extract([try Document(contentsOf: Samples.url(person, "license-front-injected.png")),
                                                   try Document(contentsOf: Samples.url(person, "license-back.png"))])
        let fired = try RuleSet.builtIn(named: "driver-onboarding").evaluate(RuleFacts(documents: injected, today: "2026-11-23"))
            .filter { $0.outcome == .fired }.map(\.rule)
        #expect(fired.contains("document_instruction_text"))
        let clean = try await pipeline.extract([try Document(contentsOf: Samples.url(person, "license-front.png"))], as: .driversLicense)
        let cleanFired = try RuleSet.builtIn(named: "driver-onboarding").evaluate(RuleFacts(documents: clean, today: "2026-11-23"))
            .filter { $0.outcome == .fired }.map(\.rule)
        #expect(!cleanFired.contains("document_instruction_text"))
    }
}
