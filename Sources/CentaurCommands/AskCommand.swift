import ArgumentParser
import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurRuntime
import Foundation

struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Ask a model; the answer streams to the terminal.",
        discussion: """
            Ends with the tokens used, the cost and the latency (on stderr, so stdout holds only the answer). \
            With --schema, the answer is JSON validated against the schema; with --json, one JSON object \
            with text, usage, cost_usd and model is printed instead.

            Examples:
              centaur ask "Summarise: the licence expires on 2027-03-01."
              centaur ask --schema person.schema.json --json "Jane Roe was born on 4 July 1990."
            """)

    @OptionGroup var options: GlobalOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Model name from the configuration (default: its default_model).", valueName: "name"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("JSON Schema file the answer must match.", valueName: "file"))
    var schema: String?

    @Option(name: .long, help: ArgumentHelp("Image to send with the prompt (png, jpeg, gif, webp); repeatable.", valueName: "file"))
    var image: [String] = []

    @Option(name: .long, help: ArgumentHelp("System prompt.", valueName: "text"))
    var system: String?

    @Option(name: .long, help: ArgumentHelp("Most tokens to generate.", valueName: "n"))
    var maxTokens: Int = 512

    @Option(name: .long, help: ArgumentHelp("Sampling temperature.", valueName: "t"))
    var temperature: Double?

    @Flag(name: .long, help: "Print one JSON object with text, usage, cost_usd and model.")
    var json = false

    @Argument(help: "The prompt; '-' reads it from standard input.")
    var prompt: String

    func run() async throws {
        let logger = options.bootstrapLogging()
        do {
            let configuration = try ConfigurationLoader().load(path: options.config)
            let request = try buildRequest(defaultModel: configuration.defaultModel)
            let (output, resolved) = try await withHTTPClient { client in
                // Through the one pipeline: the call is traced (surface `cli`), costed, budgeted and guarded.
                let runtime = try await CentaurRuntime.open(configuration: configuration, dataDirectory: options.dataDirectory,
                                                            httpClient: client, environment: options.environment, logger: logger)
                let resolved = try runtime.registry.resolve(request.model)
                if runtime.registry.localServer(for: request.model) != nil, !json {
                    FileHandle.standardError.write(Data("starting the local model…\n".utf8))
                }
                let model = runtime.model(surface: .cli)
                let output = try await runtime.withServices(for: [request.model]) { [json] in
                    try await Self.stream(request, with: model, echo: !json)
                }
                return (output, resolved)
            }
            try report(output, request: request, resolved: resolved)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw Self.fail(error)
        }
    }

    private func buildRequest(defaultModel: String) throws -> ModelRequest {
        var text = prompt
        if prompt == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CLIFailure(message: "the prompt is empty; pass it as an argument or '-' to read standard input")
        }
        var content: [ContentBlock] = []
        for path in image {
            let ext = URL(fileURLWithPath: path).pathExtension
            guard let mediaType = ImageContent.mediaType(forPathExtension: ext) else {
                throw CLIFailure(message: "\(path): unsupported image type '.\(ext)'; use png, jpeg, gif or webp")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CLIFailure(message: "\(path): cannot read the image file")
            }
            content.append(.image(ImageContent(mediaType: mediaType, data: data)))
        }
        content.append(.text(text))
        var request = ModelRequest(
            model: model ?? defaultModel, system: system, messages: [Message(role: .user, content: content)],
            maxTokens: maxTokens, temperature: temperature)
        if let schema {
            guard let data = FileManager.default.contents(atPath: schema) else {
                throw CLIFailure(message: "\(schema): cannot read the schema file")
            }
            do {
                let value = try JSONValue(parsing: data)
                let name = URL(fileURLWithPath: schema).deletingPathExtension().deletingPathExtension().lastPathComponent
                let safeName = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
                request.responseFormat = .jsonSchema(name: safeName.isEmpty ? "answer" : safeName, schema: value)
            } catch {
                throw CLIFailure(message: "\(schema): \(error)")
            }
        }
        return request
    }

    private static func stream(_ request: ModelRequest, with model: any LanguageModel, echo: Bool) async throws -> ModelResponse {
        try await model.stream(request).collect { event in
            if echo, case .textDelta(_, let text) = event {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }

    private func report(_ response: ModelResponse, request: ModelRequest, resolved: ResolvedModel) throws {
        let cost = resolved.cost(of: response.usage)
        var structured: JSONValue?
        var violations: [SchemaViolation] = []
        if let schemaValue = request.responseFormat.schema {
            do {
                let output = try response.structuredOutput()
                structured = output
                violations = JSONSchema(schemaValue).validate(output)
            } catch {
                violations = [SchemaViolation(path: "$", keyword: "json", message: "\(error)")]
            }
        }
        if json {
            let object = JSONValue.object([
                "text": .string(response.text),
                "output": structured ?? .null,
                "model": .string(resolved.configuration.name),
                "upstream_model": .string(response.model),
                "usage": .object([
                    "input_tokens": .number(Double(response.usage.inputTokens)),
                    "output_tokens": .number(Double(response.usage.outputTokens)),
                    "cache_read_tokens": .number(Double(response.usage.cacheReadTokens)),
                    "cache_write_tokens": .number(Double(response.usage.cacheWriteTokens)),
                ]),
                "cost_usd": cost.map(JSONValue.number) ?? .null,
                "latency_ms": .number((response.latency.seconds * 1000).rounded()),
                "time_to_first_token_ms": response.timeToFirstToken.map { .number(($0.seconds * 1000).rounded()) } ?? .null,
                "stop_reason": .string(response.stopReason.description),
                "schema_violations": .array(violations.map { .string($0.description) }),
            ])
            print(object.jsonString())
        } else {
            FileHandle.standardOutput.write(Data("\n".utf8))
            let costText = cost.map { String(format: "$%.6f", $0) } ?? "cost unknown"
            let usage = response.usage
            var summary = "— \(resolved.configuration.name): \(usage.inputTokens) in / \(usage.outputTokens) out tokens · \(costText)"
                + " · \(String(format: "%.2f", response.latency.seconds)) s"
            if let first = response.timeToFirstToken { summary += String(format: " (first token %.2f s)", first.seconds) }
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
        if !violations.isEmpty {
            let list = violations.prefix(5).map(\.description).joined(separator: "; ")
            FileHandle.standardError.write(Data("error: the answer does not match the schema: \(list)\n".utf8))
            throw ExitCode(2)
        }
    }
}
