import CentaurCore
import Foundation
import Yams

/// A suite in promptfoo's configuration format (the subset Centaur supports), with Centaur's extensions.
///
/// ```yaml
/// description: Capital cities
/// prompts: ["What is the capital of {{country}}? Answer with the city only."]
/// providers: [centaur:small, openai:chat:gpt-4o-mini]
/// defaultTest: { assert: [{ type: latency, threshold: 5000 }] }
/// tests:
///   - vars: { country: France }
///     assert: [{ type: icontains, value: paris }]
///   - file://more-tests.csv
/// ```
///
/// Extensions: `repeat: N` (suite or test), `tests: centaur:dataset:TYPE` (labelled corrections from review),
/// document variables (`vars: { document: file://licence.png }`) and `schema:` (a JSON Schema or a document type
/// id) for extraction tasks.
public struct EvalSuite: Sendable {
    public var description: String
    public var prompts: [Prompt]
    public var providers: [ProviderSpec]
    public var tests: [TestCase]
    /// How many times each case runs per provider.
    public var repeatCount: Int
    /// The folder relative paths are resolved against.
    public var baseDirectory: URL
    /// JSON Schema the answers must follow (extraction tasks): also sent as the response format.
    public var schema: JSONValue?
    /// A document type when `schema` names one (its fields drive field-level scoring).
    public var documentType: String?

    public struct Prompt: Sendable, Hashable {
        public var label: String
        public var template: String
    }

    public struct ProviderSpec: Sendable, Hashable {
        /// `openai:chat:MODEL`, `anthropic:messages:MODEL`, `centaur:ALIAS`, `echo`.
        public var id: String
        public var label: String
        public var config: [String: JSONValue]

        public init(id: String, label: String, config: [String: JSONValue]) {
            self.id = id; self.label = label; self.config = config
        }
    }

    public struct TestCase: Sendable {
        public var description: String?
        public var vars: [String: JSONValue]
        public var assertions: [AssertionSpec]
        /// Pass when the weighted score reaches it (else every assertion must pass).
        public var threshold: Double?
        public var repeatCount: Int?

        public init(description: String?, vars: [String: JSONValue], assertions: [AssertionSpec], threshold: Double?, repeatCount: Int?) {
            self.description = description; self.vars = vars; self.assertions = assertions; self.threshold = threshold; self.repeatCount = repeatCount
        }
    }

    public struct AssertionSpec: Sendable, Hashable {
        /// The type without `not-`.
        public var type: String
        public var negated: Bool
        public var value: JSONValue?
        public var threshold: Double?
        public var weight: Double
        /// A grading provider (llm-rubric).
        public var provider: String?
        public var metric: String?

        /// `not-contains` → ("contains", negated).
        public init(type: String, value: JSONValue? = nil, threshold: Double? = nil, weight: Double = 1, provider: String? = nil, metric: String? = nil) {
            if type.hasPrefix("not-") { self.type = String(type.dropFirst(4)); negated = true } else { self.type = type; negated = false }
            self.value = value; self.threshold = threshold; self.weight = weight; self.provider = provider; self.metric = metric
        }

        public var displayName: String { (negated ? "not-" : "") + type }
    }
}

/// A suite file that cannot be used, with the file and what is wrong.
public struct EvalSuiteError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
