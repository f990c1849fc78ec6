import CentaurCore
import Foundation
import Testing

/// Cases from the official JSON-Schema-Test-Suite (draft 2020-12) for the keywords we support.
struct JSONSchemaSuiteTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let group: String
        let description: String
        let schema: JSONValue
        let data: JSONValue
        let valid: Bool
        var testDescription: String { "\(group): \(description)" }
    }

    static let cases: [Case] = {
        let url = Bundle.module.url(forResource: "Fixtures/json-schema-test-suite", withExtension: "json")!
        let groups = try! JSONValue(parsing: Data(contentsOf: url)).arrayValue!
        return groups.flatMap { group in
            group["tests"]!.arrayValue!.map { test in
                Case(
                    group: group["description"]!.stringValue!, description: test["description"]!.stringValue!,
                    schema: group["schema"]!, data: test["data"]!, valid: test["valid"]!.boolValue!)
            }
        }
    }()

    @Test("the official suite's cases give the expected verdict", arguments: cases)
    func suiteCase(_ testCase: Case) {
        let violations = JSONSchema(testCase.schema).validate(testCase.data)
        #expect(violations.isEmpty == testCase.valid, "\(violations)")
    }

    @Test func theSuiteFixtureHasEnoughCases() {
        #expect(Self.cases.count >= 150)
    }
}

struct JSONSchemaViolationTests {
    let person = JSONSchema(JSONValue.object([
        "type": "object",
        "required": ["name", "date_of_birth", "documents"],
        "additionalProperties": false,
        "properties": [
            "name": ["type": "string", "minLength": 1],
            "date_of_birth": ["type": "string", "format": "date"],
            "state": ["enum": ["CA", "NY", "TX"]],
            "documents": ["type": "array", "items": ["type": "object", "required": ["kind"], "properties": ["kind": ["type": "string", "pattern": "^[a-z_]+$"]]]],
        ],
    ]))

    @Test func everyViolationIsReportedWithItsJSONPath() {
        let instance: JSONValue = [
            "name": "",
            "date_of_birth": "1990-02-30",
            "state": "ZZ",
            "documents": [["kind": "licence"], ["kind": "I-9"], ["other": 1]],
            "extra": true,
        ]
        let violations = person.validate(instance)
        let found = Set(violations.map { "\($0.path) \($0.keyword)" })
        #expect(found == [
            "$.name minLength", "$.date_of_birth format", "$.state enum", "$.documents[1].kind pattern",
            "$.documents[2] required", "$.extra additionalProperties",
        ])
    }

    @Test func aValidInstanceHasNoViolations() {
        #expect(person.validate(["name": "Jane Roe", "date_of_birth": "1990-07-04", "documents": []]).isEmpty)
    }

    @Test func enforceThrowsASchemaViolationErrorListingThePaths() throws {
        let error = #expect(throws: ModelError.self) { try person.enforce(["name": 3]) }
        #expect(error?.kind == .schemaViolation)
        #expect(error?.violations.map(\.path).contains("$.name") == true)
        #expect(error?.message.contains("$.name") == true)
    }

    @Test func keysThatAreNotIdentifiersAreQuotedInPaths() {
        let schema = JSONSchema(["properties": ["first name": ["type": "string"]]])
        #expect(schema.validate(["first name": 1]).first?.path == "$['first name']")
    }
}
