import Foundation

/// The shared test material beside the repository (`../shared/data`), or `CENTAUR_SHARED_DIR`.
enum SharedData {
    static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["CENTAUR_SHARED_DIR"] {
            return URL(fileURLWithPath: override)
        }
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repository.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    static func url(_ path: String) -> URL { root.appendingPathComponent("data").appendingPathComponent(path) }

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
