import Foundation

/// Files and folders only their owner may read: the database (traces, applications, sessions) and the uploaded
/// documents hold personal data, so folders are made 0700 and files 0600, whatever the process's umask.
public enum PrivateFiles {
    public static func createDirectory(at url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
    }

    /// Makes `path` owner-only, creating it empty when it does not exist yet (SQLite gives its journal and
    /// write-ahead log the database file's own permissions).
    public static func restrict(_ path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }
}
