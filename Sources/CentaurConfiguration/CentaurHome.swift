import Foundation

/// The one folder that holds Centaur's data (`data/`: the database, uploaded documents), its local model runtime
/// (`venv/`) and models (`models/`), so every command finds the same state from any working directory:
///
/// 1. `CENTAUR_HOME`, when set (`scripts/install` sets it to the checkout's `.centaur` in the `centaur` it installs);
/// 2. `./.centaur`, when the working directory has one (a checkout after `scripts/setup-local-model`);
/// 3. otherwise the per-user data folder: `$XDG_DATA_HOME/centaur`, or `~/.local/share/centaur`.
public enum CentaurHome {
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment,
                               currentDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        if let home = environment["CENTAUR_HOME"], !home.isEmpty { return home }
        let local = URL(fileURLWithPath: currentDirectory).appendingPathComponent(".centaur").path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: local, isDirectory: &isDirectory), isDirectory.boolValue { return ".centaur" }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return URL(fileURLWithPath: data).appendingPathComponent("centaur").path }
        let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? FileManager.default.homeDirectoryForCurrentUser.path
        return URL(fileURLWithPath: user).appendingPathComponent(".local/share/centaur").path
    }
}
