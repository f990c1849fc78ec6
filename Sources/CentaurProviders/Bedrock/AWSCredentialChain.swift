import Foundation

/// Finds AWS credentials and region the way the AWS SDKs do: environment variables first,
/// then the shared credentials and config files, for `AWS_PROFILE` (default `default`).
public struct AWSCredentialChain: Sendable {
    public var environment: [String: String]
    public var homeDirectory: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, homeDirectory: String = NSHomeDirectory()) {
        self.environment = environment
        self.homeDirectory = homeDirectory
    }

    public var profile: String { environment["AWS_PROFILE"] ?? environment["AWS_DEFAULT_PROFILE"] ?? "default" }

    /// The credentials, or an error naming every place that was looked at.
    public func credentials() throws -> AWSCredentials {
        if let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty, let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty {
            let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token)
        }
        let path = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(homeDirectory)/.aws/credentials"
        let sections = (try? Self.parseINI(String(contentsOfFile: path, encoding: .utf8))) ?? [:]
        if let section = sections[profile], let key = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] {
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: section["aws_session_token"])
        }
        throw ConfigurationProblem(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), "
                + "or add profile '\(profile)' to \(path)")
    }

    /// The region from `AWS_REGION`, `AWS_DEFAULT_REGION` or the shared config file; `nil` when none is set.
    public func region() -> String? {
        if let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"], !region.isEmpty { return region }
        let path = environment["AWS_CONFIG_FILE"] ?? "\(homeDirectory)/.aws/config"
        let sections = (try? Self.parseINI(String(contentsOfFile: path, encoding: .utf8))) ?? [:]
        let name = profile == "default" ? "default" : "profile \(profile)"
        return sections[name]?["region"] ?? sections[profile]?["region"]
    }

    /// Parses the INI dialect of the AWS shared files: `[section]`, `key = value`, `#` and `;` comments.
    static func parseINI(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[current, default: [:]][key] = value
        }
        return sections
    }
}

/// A configuration or environment problem a person must fix, with a sentence saying how.
public struct ConfigurationProblem: Error, Sendable, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
