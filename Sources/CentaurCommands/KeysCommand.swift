import ArgumentParser
import CentaurConfiguration
import CentaurCore
import CentaurGateway
import CentaurStore
import Foundation

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it once; only its hash is stored.")

        @OptionGroup var options: GlobalOptions
        @Option(name: .long, help: "A name that says who or what uses the key.") var name: String
        @Option(name: .long, help: "The team its usage is attributed to.") var team: String?
        @Option(name: .long, help: "gateway (model endpoints), reviewer (also the review queue) or admin (everything: traces, usage, admin API).") var scope: String = "gateway"
        @Option(name: .long, help: "Requests per minute this key may make.") var rpm: Int?
        @Option(name: .long, help: "Tokens (input + output) per minute this key may use.") var tpm: Int?
        @Option(name: .long, help: "Spend per calendar month (UTC) in USD.") var monthlyUsd: Double?
        @Flag(name: .long, help: "Print one JSON object.") var json = false

        func run() async throws {
            if [rpm.map(Double.init), tpm.map(Double.init), monthlyUsd].contains(where: { ($0 ?? 1) <= 0 }) {
                throw Self.fail(CLIFailure(message: "--rpm, --tpm and --monthly-usd must be positive"))
            }
            guard let scope = APIKeyRecord.Scope(rawValue: scope) else {
                throw Self.fail(CLIFailure(message: "unknown scope '\(scope)'; use gateway, reviewer or admin"))
            }
            do {
                let service = APIKeyService(store: try options.stores().keys)
                let (secret, record) = try await service.create(name: name, team: team, scope: scope,
                                                                 limits: Limits(rpm: rpm, tpm: tpm, monthlyUSD: monthlyUsd))
                if json {
                    let object: JSONValue = [
                        "id": .string(record.id), "name": .string(record.name), "team": record.team.map(JSONValue.string) ?? .null,
                        "scope": .string(record.scope.rawValue), "key": .string(secret),
                    ]
                    print(object.jsonString())
                } else {
                    print(secret)
                    FileHandle.standardError.write(Data("created key \(record.id) '\(record.name)' (scope \(record.scope.rawValue)); it is shown only once\n".utf8))
                }
            } catch {
                throw Self.fail(error)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never the secrets).")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            do {
                let store = try options.stores().keys
                for key in try await store.keys() {
                    let state = key.revokedAt == nil ? "active" : "revoked"
                    print("\(key.id)  \(key.prefix)…  \(key.name)  team=\(key.team ?? "-")  scope=\(key.scope.rawValue)  \(state)")
                }
            } catch {
                throw Self.fail(error)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The key's id (from `centaur keys list`).") var id: String

        func run() async throws {
            do {
                let service = APIKeyService(store: try options.stores().keys)
                guard try await service.revoke(id: id) else { throw CLIFailure(message: "no active key with id '\(id)'") }
                print("revoked \(id)")
            } catch {
                throw Self.fail(error)
            }
        }
    }
}
