import Foundation
import Testing

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

    /// Whether the shared material is here. A fresh clone elsewhere has none: tests that read it skip (CI always has
    /// it, and `scripts/test` then sets CENTAUR_REQUIRE_SAMPLES, so a missing file fails there instead).
    static var present: Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("data").path) }
    static var required: Bool { ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_SAMPLES"] == "1" }
    /// The trait for a test or suite that reads `../shared/data`.
    static var needed: ConditionTrait { .enabled(if: present || required, "needs ../shared/data (the project's shared test material)") }

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
