import ArgumentParser
import AsyncHTTPClient
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import Foundation

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List configured models and whether each is reachable.")

    @OptionGroup var options: GlobalOptions

    @Flag(name: .long, help: "Print one JSON array instead of a table.")
    var json = false

    struct Row: Codable {
        var name: String
        var provider: String
        var kind: String
        var id: String
        var isDefault: Bool
        var price: ModelPrice?
        var reachable: Bool
        var detail: String

        enum CodingKeys: String, CodingKey {
            case name, provider, kind, id, price, reachable, detail
            case isDefault = "default"
        }
    }

    func run() async throws {
        let logger = options.bootstrapLogging()
        let configuration: CentaurConfiguration
        do {
            configuration = try ConfigurationLoader().load(path: options.config)
        } catch {
            throw Self.fail(error)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let registry = ModelRegistry(configuration: configuration, httpClient: client, logger: logger)
        var rows: [Row] = []
        for model in configuration.models {
            let provider = configuration.providers[model.provider]!
            let reach = await registry.reachability(of: model.name, client: client)
            let price = try? registry.resolve(model.name).price
            rows.append(Row(
                name: model.name, provider: model.provider, kind: provider.kind.rawValue, id: model.id,
                isDefault: model.name == configuration.defaultModel, price: price ?? nil,
                reachable: reach.reachable, detail: reach.detail))
        }
        try await client.shutdown()

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        print("Models from \(configuration.source):")
        let table = [["", "NAME", "PROVIDER", "UPSTREAM ID", "PRICE (USD/M in/out)", "STATUS"]] + rows.map { row in
            [
                row.isDefault ? "*" : "", row.name, "\(row.provider) (\(row.kind))", row.id,
                row.price.map { "\(Self.money($0.input)) / \(Self.money($0.output))" } ?? "unknown",
                (row.reachable ? "ok: " : "unreachable: ") + row.detail,
            ]
        }
        let widths = (0..<6).map { column in table.map { $0[column].count }.max() ?? 0 }
        for line in table {
            print(line.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
        print("* default model")
    }

    static func money(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.3g", value)
    }
}
