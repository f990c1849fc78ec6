import AsyncHTTPClient
import CentaurCore
import CentaurTestSupport
import Foundation
import Testing

@testable import CentaurProviders

@Suite("Embedding providers")
struct EmbeddingProviderTests {
    @Test("OpenAI-compatible: the documented request body; vectors put back in input order by index; usage read; Azure's URL")
    func openAI() async throws {
        try await withUpstream({ _ in
            .json(#"{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.5,0.5]},{"object":"embedding","index":0,"embedding":[1,0]}],"#
                  + #""model":"text-embedding-3-small","usage":{"prompt_tokens":9,"total_tokens":9}}"#)
        }) { upstream, client in
            let model = OpenAIEmbeddingModel(configuration: .init(baseURL: upstream.baseURL + "/v1", apiKey: "sk-test", modelID: "text-embedding-3-small", flavor: .openai),
                                             dimensions: nil, httpClient: client)
            let result = try await model.embeddings(for: EmbeddingRequest(inputs: ["a", "b"], dimensions: 2))
            #expect(result.vectors == [[1, 0], [0.5, 0.5]] && result.usage.inputTokens == 9 && result.model == "text-embedding-3-small")
            let sent = try #require(upstream.requests.first)
            let body = try JSONValue(parsing: sent.body)
            #expect(sent.path == "/v1/embeddings" && sent.header("authorization") == "Bearer sk-test")
            #expect(body == ["model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "float", "dimensions": 2])
        }
        let azure = OpenAIEmbeddingModel(configuration: .init(baseURL: "https://r.openai.azure.com", apiKey: "k", modelID: "m", flavor: .azure(deployment: "emb", apiVersion: "2024-10-21")),
                                         dimensions: nil, httpClient: HTTPClient.shared)
        #expect(azure.embeddingsURL == "https://r.openai.azure.com/openai/deployments/emb/embeddings?api-version=2024-10-21")
    }

    @Test("OpenAI-compatible: fewer vectors than inputs, or an error status, is a typed error")
    func openAIFaults() async throws {
        try await withUpstream({ request in
            request.bodyText.contains("fault") ? .json(status: 429, #"{"error":{"message":"slow down","type":"rate_limit_error"}}"#, headers: [("retry-after", "2")])
                : .json(#"{"data":[{"index":0,"embedding":[1]}],"usage":{"prompt_tokens":1}}"#)
        }) { upstream, client in
            let model = OpenAIEmbeddingModel(configuration: .init(baseURL: upstream.baseURL, modelID: "m"), dimensions: nil, httpClient: client)
            await #expect(throws: ModelError.self) { try await model.embed(["a", "b"]) }
            do {
                _ = try await model.embed(["fault"])
                Issue.record("a 429 must throw")
            } catch let error as ModelError {
                #expect(error.kind == .rateLimited && error.retryAfter == .seconds(2))
            }
        }
    }

    @Test("Bedrock Titan V2: one signed InvokeModel per text with inputText, dimensions and normalize; tokens from inputTextTokenCount")
    func titan() async throws {
        try await withUpstream({ request in
            let text = (try? JSONValue(parsing: request.body))?["inputText"]?.stringValue ?? ""
            return .json(#"{"embedding":[\#(text.count).0,1.0],"inputTextTokenCount":\#(text.count),"embeddingsByType":{"float":[1.0]}}"#)
        }) { upstream, client in
            let model = BedrockEmbeddingModel(
                configuration: .init(region: "us-east-1", endpoint: upstream.baseURL, modelID: "amazon.titan-embed-text-v2:0",
                                     credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret")),
                dimensions: 256, httpClient: client)
            let texts = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff"]
            let result = try await model.embeddings(for: EmbeddingRequest(inputs: texts, dimensions: 256))
            #expect(result.vectors.map { $0[0] } == [1, 2, 3, 4, 5, 6], "in input order although sent four at a time")
            #expect(result.usage.inputTokens == 21 && upstream.requests.count == 6)
            let sent = try #require(upstream.requests.first)
            #expect(sent.path == "/model/amazon.titan-embed-text-v2%3A0/invoke")
            #expect(sent.header("authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true && sent.header("x-amz-date") != nil)
            let body = try JSONValue(parsing: sent.body)
            #expect(body["dimensions"] == 256 && body["normalize"] == true && body["inputText"]?.stringValue != nil)
        }
    }

    @Test("Bedrock Cohere Embed: texts in one call with input_type; tokens from the X-Amzn-Bedrock-Input-Token-Count header")
    func cohere() async throws {
        try await withUpstream({ request in
            let count = (try? JSONValue(parsing: request.body))?["texts"]?.arrayValue?.count ?? 0
            let vectors = (0..<count).map { "[\($0).0,0.0]" }.joined(separator: ",")
            return .json(#"{"id":"x","response_type":"embeddings_floats","texts":[],"embeddings":[\#(vectors)]}"#,
                         headers: [("X-Amzn-Bedrock-Input-Token-Count", "12")])
        }) { upstream, client in
            let model = BedrockEmbeddingModel(
                configuration: .init(region: "us-east-1", endpoint: upstream.baseURL, modelID: "cohere.embed-english-v3",
                                     credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret")),
                dimensions: nil, httpClient: client)
            let result = try await model.embeddings(for: EmbeddingRequest(inputs: ["x", "y", "z"]))
            #expect(result.vectors.map { $0[0] } == [0, 1, 2] && result.usage.inputTokens == 12 && upstream.requests.count == 1)
            let body = try JSONValue(parsing: try #require(upstream.requests.first).body)
            #expect(body["input_type"] == "search_document" && body["texts"] == ["x", "y", "z"])
        }
    }
}
