import CentaurCore
import ArgumentParser
import CentaurServer
import CentaurStore
import CentaurWeb
import Foundation

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "People who sign in to the web pages (/review, /ops).",
        subcommands: [Create.self, List.self, Disable.self, Enable.self, Passwd.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a reviewer or admin; the password is read from standard input and stored as an scrypt hash.",
            discussion: "Example: printf 'a long passphrase' | centaur users create --username ana --role reviewer")
        @OptionGroup var options: GlobalOptions
        @Option(name: .long, help: "The sign-in name.") var username: String
        @Option(name: .long, help: "reviewer (the review pages) or admin (also /ops).") var role: String = "reviewer"

        func run() async throws {
            do {
                guard let role = UserRecord.Role(rawValue: role) else { throw CLIFailure(message: "--role must be reviewer or admin") }
                guard username.range(of: #"^[A-Za-z0-9._-]{2,64}$"#, options: .regularExpression) != nil else {
                    throw CLIFailure(message: "--username: 2 to 64 letters, digits, dots, dashes or underscores")
                }
                let password = try UsersCommand.readPassword()
                let store = try options.stores().users
                // Refuse a taken name before spending the (deliberately slow) password hash.
                if try await store.user(username: username) != nil { throw CLIFailure(message: "a user named \(username) already exists") }
                try await store.insert(UserRecord(id: "usr_" + UUID().uuidString.lowercased().prefix(12), username: username,
                                                  passwordHash: try await PasswordHasher.hash(password), role: role, createdAt: Date()))
                print("created \(role.rawValue) \(username)")
            } catch { throw Self.fail(error) }
        }
    }

    /// The password on standard input (one line; at least 10 characters).
    static func readPassword() throws -> String {
        let password = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .newlines)
        guard password.count >= 10 else { throw CLIFailure(message: "the password (on standard input) must have at least 10 characters") }
        return password
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users: name, role, created, disabled.")
        @OptionGroup var options: GlobalOptions
        @Flag(name: .long, help: "One JSON array.") var json = false

        func run() async throws {
            do {
                let users = try await options.stores().users.users()
                if json {
                    let rows: [JSONValue] = users.map { user in
                        ["username": .string(user.username), "role": .string(user.role.rawValue), "created_at": .string(ISO8601DateFormatter().string(from: user.createdAt)),
                         "disabled_at": user.disabledAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null]
                    }
                    print(JSONValue.array(rows).jsonString(pretty: true))
                    return
                }
                if users.isEmpty { print("no users; create one with: printf 'a long passphrase' | centaur users create --username NAME"); return }
                for user in users {
                    let state = user.disabledAt.map { "disabled \(ISO8601DateFormatter().string(from: $0))" } ?? "active"
                    print("\(user.username)\t\(user.role.rawValue)\tcreated \(ISO8601DateFormatter().string(from: user.createdAt))\t\(state)")
                }
            } catch { throw Self.fail(error) }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a user signing in and end their sessions (their decisions stay in the audit log).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The sign-in name.") var username: String

        func run() async throws {
            do { try await UsersCommand.setDisabled(username, at: Date(), options); print("disabled \(username); their sessions are ended") } catch { throw Self.fail(error) }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a disabled user sign in again.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The sign-in name.") var username: String

        func run() async throws {
            do { try await UsersCommand.setDisabled(username, at: nil, options); print("enabled \(username)") } catch { throw Self.fail(error) }
        }
    }

    /// Disables (`at` a date) or enables (`nil`) a user; a name nobody has is an error.
    static func setDisabled(_ username: String, at date: Date?, _ options: GlobalOptions) async throws {
        guard try await options.stores().users.setDisabled(username: username, at: date) else {
            throw CLIFailure(message: "no user named \(username)")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's password (read from standard input) and end their sessions.",
            discussion: "Example: printf 'a new long passphrase' | centaur users passwd ana")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The sign-in name.") var username: String

        func run() async throws {
            do {
                let password = try UsersCommand.readPassword()
                let store = try options.stores().users
                guard try await store.user(username: username) != nil else { throw CLIFailure(message: "no user named \(username)") }
                _ = try await store.setPasswordHash(username: username, hash: try await PasswordHasher.hash(password))
                print("changed the password of \(username); their sessions are ended")
            } catch { throw Self.fail(error) }
        }
    }
}
