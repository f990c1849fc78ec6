import ArgumentParser
import CentaurServer
import CentaurStore
import Foundation

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "People who sign in to the web pages (/review, /ops).",
        subcommands: [Create.self])

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
                let password = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .newlines)
                guard password.count >= 10 else { throw CLIFailure(message: "the password (on standard input) must have at least 10 characters") }
                let store = try SQLiteStore(path: "\(options.dataDir)/centaur.sqlite")
                // Refuse a taken name before spending the (deliberately slow) password hash.
                if try await store.user(username: username) != nil { throw CLIFailure(message: "a user named \(username) already exists") }
                try await store.insert(UserRecord(id: "usr_" + UUID().uuidString.lowercased().prefix(12), username: username,
                                                  passwordHash: try await PasswordHasher.hash(password), role: role, createdAt: Date()))
                print("created \(role.rawValue) \(username)")
            } catch { throw Self.fail(error) }
        }
    }
}
