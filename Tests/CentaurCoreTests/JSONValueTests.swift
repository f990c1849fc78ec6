import CentaurCore
import Foundation
import Testing

struct JSONValueTests {
    @Test func roundTripsEveryKindOfValue() throws {
        let text = #"{"a":[1,2.5,"x",true,null,{"b":{}}],"n":-3}"#
        let value = try JSONValue(parsing: text)
        #expect(value["a"]?[1]?.doubleValue == 2.5)
        #expect(value["n"]?.intValue == -3)
        #expect(value["a"]?[4]?.isNull == true)
        #expect(value.jsonString() == text)
    }

    @Test func integralNumbersEncodeWithoutAFraction() {
        #expect(JSONValue.number(3).jsonString() == "3")
        #expect(JSONValue.number(0.1).jsonString() == "0.1")
    }

    @Test func booleansAreNotNumbers() throws {
        #expect(try JSONValue(parsing: "true") == .bool(true))
        #expect(try JSONValue(parsing: "1") == .number(1))
    }

    @Test func malformedJSONRaisesAParseErrorWithAReason() {
        let error = #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: "{\"a\": ") }
        #expect(error?.description.hasPrefix("invalid JSON") == true)
    }

    @Test func duplicateKeysInvalidUTF8AndOverflowingNumbersAreRefused() throws {
        for (text, reason) in [(#"{"a": 1, "b": 2, "a": 3}"#, #"duplicate key "a" at byte 17"#), ("[1e999]", "a number too large"),
                               ("[-1e400]", "a number too large")] {
            let error = #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: text) }
            #expect(error?.reason.contains(reason) == true, "\(text): \(error?.reason ?? "")")
        }
        for bytes in [[0x22, 0xC3, 0x28, 0x22], [0x22, 0x5C, 0x6E, 0xFF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] as [[UInt8]] {
            let error = #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: Data(bytes)) }
            #expect(error?.reason.contains("not valid UTF-8") == true)
        }
        #expect(try JSONValue(parsing: #"{"a": {"a": "é\n✓"}, "b": 1.5e300}"#) == ["a": ["a": "é\n✓"], "b": 1.5e300])
    }

    @Test func schemasAreCheckedBeforeUse() {
        #expect(JSONSchema.problems(in: ["type": "object", "properties": ["a": ["type": ["string", "null"]], "b": ["items": [["type": "integer"]]]],
                                         "required": ["a"], "additionalProperties": false]).isEmpty)
        #expect(JSONSchema.problems(in: true).isEmpty)
        #expect(JSONSchema.problems(in: "object") == ["$: a JSON Schema is an object or a boolean"])
        #expect(JSONSchema.problems(in: ["type": "strin"]).first?.hasPrefix("$.type: expected one of") == true)
        #expect(JSONSchema.problems(in: ["properties": ["x": 7]]) == ["$.properties.x: a JSON Schema is an object or a boolean"])
        #expect(JSONSchema.problems(in: ["required": "a", "anyOf": [["maximum": "ten"]]]) == ["$.required: expected a list of property names", "$.anyOf[0].maximum: expected a number"])
    }

    @Test func decodesIntoCodableTypes() throws {
        struct Person: Decodable { let name: String; let age: Int }
        let value: JSONValue = ["name": "Ann", "age": 40]
        let person: Person = try value.decode()
        #expect(person.name == "Ann" && person.age == 40)
    }
}

struct PriceTableTests {
    @Test func costAddsEachKindOfTokenAtItsPrice() {
        let price = ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75)
        let usage = Usage(inputTokens: 1_000_000, outputTokens: 100_000, cacheReadTokens: 200_000, cacheWriteTokens: 10_000)
        #expect(abs(price.cost(of: usage) - (3 + 1.5 + 0.06 + 0.0375)) < 1e-9)
    }

    @Test func cacheTokensDefaultToTheInputPrice() {
        let price = ModelPrice(input: 2, output: 8)
        #expect(abs(price.cost(of: Usage(cacheReadTokens: 500_000)) - 1.0) < 1e-9)
    }

    @Test func bedrockInferenceProfileIdsFindTheirListPrice() {
        let price = PriceTable.builtIn.price(for: "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
        #expect(price?.input == 3 && price?.output == 15)
        #expect(PriceTable.builtIn.price(for: "no-such-model") == nil)
    }

    @Test func configuredPricesOverrideBuiltInOnes() {
        let table = PriceTable.builtIn.merging(PriceTable(["claude-sonnet-4-5": ModelPrice(input: 1, output: 2)]))
        #expect(table.price(for: "claude-sonnet-4-5-20250929")?.input == 1)
    }
}

struct ModelResponseAccumulatorTests {
    @Test func buildsTextAndToolCallsFromDeltas() throws {
        var accumulator = ModelResponseAccumulator()
        let events: [ModelStreamEvent] = [
            .start(id: "m1", model: "x"), .usage(Usage(inputTokens: 10)),
            .textDelta(index: 0, text: "Hel"), .textDelta(index: 0, text: "lo"), .blockStop(index: 0),
            .toolUseStart(index: 1, id: "t1", name: "f"), .toolInputDelta(index: 1, partialJSON: "{\"a\":"),
            .toolInputDelta(index: 1, partialJSON: "1}"), .blockStop(index: 1),
            .usage(Usage(outputTokens: 7)), .finish(stopReason: .toolUse),
        ]
        events.forEach { accumulator.add($0) }
        let response = try accumulator.response()
        #expect(response.text == "Hello")
        #expect(response.toolUses == [ToolUse(id: "t1", name: "f", input: ["a": 1])])
        #expect(response.usage == Usage(inputTokens: 10, outputTokens: 7))
        #expect(response.stopReason == .toolUse)
        #expect(response.id == "m1")
    }

    @Test func toolInputThatIsNotJSONIsAMalformedResponse() {
        var accumulator = ModelResponseAccumulator()
        accumulator.add(.toolUseStart(index: 0, id: "t", name: "f"))
        accumulator.add(.toolInputDelta(index: 0, partialJSON: "{oops"))
        #expect { try accumulator.response() } throws: { ($0 as? ModelError)?.kind == .malformedResponse }
    }

    @Test func aResponseReplaysAsEventsThatRebuildIt() async throws {
        let original = ModelResponse(
            id: "r", model: "m", content: [.text("hi"), .toolUse(ToolUse(id: "1", name: "f", input: ["x": [1, 2]]))],
            stopReason: .toolUse, usage: Usage(inputTokens: 3, outputTokens: 4))
        let rebuilt = try await ModelStream.replaying(original).collect()
        #expect(rebuilt.content == original.content)
        #expect(rebuilt.usage == original.usage)
        #expect(rebuilt.stopReason == original.stopReason)
    }

    @Test func structuredOutputParsesFencedJSON() throws {
        let response = ModelResponse(model: "m", content: [.text("```json\n{\"a\": 1}\n```")], stopReason: .endTurn, usage: .zero)
        #expect(try response.structuredOutput() == ["a": 1])
    }
}

struct ModelErrorTests {
    @Test func kindsSayWhetherARetryCanHelp() {
        #expect(ModelError.Kind.rateLimited.isRetryable)
        #expect(ModelError.Kind.overloaded.isRetryable)
        #expect(!ModelError.Kind.invalidRequest.isRetryable)
        #expect(!ModelError.Kind.contextTooLong.isRetryable)
    }

    @Test func descriptionNamesKindProviderStatusAndRetryAfter() {
        let error = ModelError.rateLimited(retryAfter: .seconds(20), message: "slow down", provider: "anthropic")
        #expect(error.description.contains("rate_limited from anthropic (HTTP 429): slow down"))
        #expect(error.description.contains("retry after"))
    }
}

struct JSONTextTests {
    @Test func escapesAndUnicodeRoundTrip() throws {
        let text = #"{"a":"line\nbreak \"quoted\" back\\slash tab\t \u00e9 \ud83d\ude00 \u0001","b":[true,false,null,-0.5,1e3,12345678901234]}"#
        let value = try JSONValue(parsing: text)
        #expect(value["a"]?.stringValue == "line\nbreak \"quoted\" back\\slash tab\t é 😀 \u{01}")
        #expect(value["b"] == [true, false, nil, -0.5, 1000, 12_345_678_901_234])
        #expect(try JSONValue(parsing: value.jsonString()) == value)
        // Foundation reads what we write.
        let foundation = try JSONSerialization.jsonObject(with: value.jsonData()) as? [String: Any]
        #expect(foundation?["a"] as? String == value["a"]?.stringValue)
    }

    @Test("malformed text is rejected with the byte offset", arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "\"unterminated", "tru", "01", "1.", "-", "{\"a\":1}x", "\"\\x\"", "\"\\ud800\"", "[\"a\u{01}\"]",
    ])
    func malformed(text: String) {
        let error = #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: text) }
        #expect(error?.reason.contains("at byte") == true)
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: deep) }
    }
}
