import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurProviders
import CentaurTestSupport
import Foundation
import Testing

/// Answers with the name it was configured under and the system prompt it got.
struct NamedModel: LanguageModel {
    let name: String
    let provider = "named"
    func stream(_ request: ModelRequest) -> ModelStream {
        .replaying(ModelResponse(model: name, content: [.text("\(name)|\(request.system ?? "")")], stopReason: .endTurn,
                                 usage: Usage(inputTokens: 1, outputTokens: 1)))
    }
}

@Suite("Functions with variants")
struct FunctionTests {
    static let yaml = """
        providers: { up: { kind: openai, base_url: "http://127.0.0.1:9/v1", api_key: k } }
        models: { small: { provider: up, id: s }, claude: { provider: up, id: c } }
        functions:
          greet:
            variants:
              va: { model: small, weight: 0.5 }
              vb: { model: claude, weight: 0.5, system: "Be brief." }
        """

    @Test("10,000 calls over 2,000 subjects at 50/50: each subject always gets one variant, the split is within 48–52 %, every trace names its variant")
    func stickySplit() async throws {
        let configuration = try ConfigurationLoader().parse(Self.yaml, source: "test")
        let models: [String: any LanguageModel] = ["small": NamedModel(name: "small"), "claude": NamedModel(name: "claude")]
        let router = ModelRouter(routes: [], resolve: { name in
            guard let model = models[name] else { throw ConfigurationProblem("unknown model '\(name)'") }
            return RouterTests.resolved(name, model)
        })
        let recorder = CollectingRecorder()
        let gateway = GatewayPipeline.make(configuration: configuration, router: router, recorder: recorder, budgets: nil, cacheStore: nil)
        var seen: [String: Set<String>] = [:]
        for n in 0..<10_000 {
            let subject = "subject-\(n % 2_000)"
            // Half the subjects arrive as OpenAI's user (request metadata), half in the x-centaur-subject header.
            var request = ModelRequest(model: "greet", messages: [.user("hi")])
            var context = GatewayContext(route: "greet", surface: "test")
            if n % 2 == 0 { request.metadata["user"] = subject } else { context.subject = subject }
            let answer = try await gateway.respond(to: request, context: context)
            seen[subject, default: []].insert(answer.text)
        }
        #expect(seen.count == 2_000)
        #expect(seen.values.allSatisfy { $0.count == 1 }, "a subject got two variants")
        let onA = seen.values.filter { $0.first == "small|" }.count
        #expect((960...1_040).contains(onA), "variant va got \(onA) of 2,000 subjects")
        #expect(seen.values.allSatisfy { $0.first == "small|" || $0.first == "claude|Be brief." }, "vb sends its own system prompt")

        let calls = recorder.calls
        #expect(calls.count == 10_000)
        #expect(calls.allSatisfy { $0.tags["function"] == "greet" && ($0.tags["variant"] == "va" || $0.tags["variant"] == "vb") })
        #expect(calls.allSatisfy { ["user", "header"].contains($0.tags["variant_subject"]) && !($0.tags.values.contains { $0.hasPrefix("subject-") }) },
                "the function step tags where the subject came from and adds no copy of it")
        let traced = calls.filter { $0.tags["variant"] == "va" }.count
        #expect((4_800...5_200).contains(traced), "va served \(traced) of 10,000 calls")
        #expect(calls.allSatisfy { ($0.tags["variant"] == "va") == ($0.attempts.first?.model == "small") }, "the trace's variant is the model called")
    }

    @Test("assignment is fixed by the code: the same subject gets the same variant in any process; weights are honoured")
    func stableAssignment() throws {
        let function = FunctionConfiguration(name: "f", variants: [.init(name: "b", model: "m2", weight: 3), .init(name: "a", model: "m1", weight: 1)])
        // A stable hash (not Swift's per-process seeded Hasher): these values are the same in every run.
        #expect(FunctionConfiguration.stableHash("") == FunctionConfiguration.stableHash(""))
        #expect(FunctionConfiguration.stableHash("f\u{0}alice") != FunctionConfiguration.stableHash("f\u{0}alicf"))
        let counts = Dictionary(grouping: (0..<8_000).map { function.variant(for: "s\($0)").name }, by: { $0 }).mapValues(\.count)
        #expect((5_760...6_240).contains(counts["b"] ?? 0), "weight 3 of 4: \(counts)")
        let zero = FunctionConfiguration(name: "f", variants: [.init(name: "off", model: "m1", weight: 0), .init(name: "on", model: "m2", weight: 1)])
        #expect((0..<500).allSatisfy { zero.variant(for: "s\($0)").name == "on" }, "a variant of weight 0 gets nobody")
    }

    @Test("functions: in centaur.yaml — variants must name a model or route, weights ≥ 0 and not all 0, and no name clash")
    func configurationErrors() throws {
        let base = "providers: { up: { kind: openai, base_url: \"http://127.0.0.1:9/v1\", api_key: k } }\nmodels: { small: { provider: up, id: s } }\n"
        let cases: [(String, String)] = [
            ("functions: { greet: { variants: { va: { model: large } } } }", "no model or route named 'large'"),
            ("functions: { greet: { variants: { va: { model: small, weight: -1 } } } }", "must be a number ≥ 0"),
            ("functions: { greet: { variants: { va: { model: small, weight: 0 } } } }", "at least one variant with a weight above 0"),
            ("functions: { small: { variants: { va: { model: small } } } }", "cannot have the name of a model or route"),
            ("functions: { greet: { variants: { va: { model: small, temprature: 1 } } } }", "unknown key"),
            ("functions: { greet: { models: [small] } }", "unknown key"),
            ("functions: { extract.form-i9: { variants: { fs: { model: small, few_shot: 2.5 } } } }", "whole number of labelled examples"),
            ("functions: { extract.form-i9: { variants: { fs: { model: small, few_shot: 50 } } } }", "from 0 to 20"),
        ]
        for (yaml, message) in cases {
            #expect(throws: (any Error).self) { try ConfigurationLoader().parse(base + yaml, source: "test") }
            do { _ = try ConfigurationLoader().parse(base + yaml, source: "test") } catch { #expect("\(error)".contains(message), "\(yaml): \(error)") }
        }
        let parsed = try ConfigurationLoader().parse(base + "functions: { greet: { variants: { va: { model: small } } } }", source: "test")
        #expect(parsed.functions["greet"]?.variants.map(\.weight) == [1], "the weight defaults to 1")
        let extraction = try ConfigurationLoader().parse(base + "functions: { extract.form-i9: { variants: { zs: { model: small }, fs: { model: small, few_shot: 3 } } } }",
                                                         source: "test")
        #expect(extraction.functions["extract.form-i9"]?.variants.map(\.fewShot) == [3, 0], "variants in name order: fs, zs")
    }
}
