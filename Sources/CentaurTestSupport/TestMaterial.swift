import CentaurCore
import Foundation
import Testing

/// What tests find beside the code: the repository, the project's shared material (`../shared`), the generated
/// sample applicants and the local model. Each says whether it is here and whether the run requires it, so a fresh
/// clone elsewhere skips with a reason while `scripts/test` (which sets `CENTAUR_REQUIRE_SAMPLES` and
/// `CENTAUR_REQUIRE_LOCAL_MODEL`) fails on anything missing.
public enum Repository {
    /// The package root, found from this source file's path (`Sources/CentaurTestSupport/…`).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// The shared test material beside the repository (`../shared/data`), or `CENTAUR_SHARED_DIR`.
public enum SharedData {
    public static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["CENTAUR_SHARED_DIR"] { return URL(fileURLWithPath: override) }
        return Repository.root.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    public static func url(_ path: String) -> URL { root.appendingPathComponent("data").appendingPathComponent(path) }

    /// Whether the shared material is here. A fresh clone elsewhere has none: tests that read it skip (CI always has
    /// it, and `scripts/test` then sets CENTAUR_REQUIRE_SAMPLES, so a missing file fails there instead).
    public static var present: Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("data").path) }
    public static var required: Bool { ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_SAMPLES"] == "1" }
    /// The trait for a test or suite that reads `../shared/data`.
    public static var needed: ConditionTrait { .enabled(if: present || required, "needs ../shared/data (the project's shared test material)") }
}

/// The generated sample applicants (`scripts/generate-samples` → `.centaur/samples`).
public enum Samples {
    public static let root = Repository.root.appendingPathComponent(".centaur/samples")
    public static var present: Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("manifest.json").path) }
    /// scripts/test generates them and sets this, so a missing sample fails instead of skipping.
    public static var required: Bool { ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_SAMPLES"] == "1" }
    /// The trait for a test or suite that reads the samples.
    public static var needed: ConditionTrait { .enabled(if: present || required, "run scripts/generate-samples") }

    public static func people() throws -> [String] {
        let manifest = try JSONValue(parsing: Data(contentsOf: root.appendingPathComponent("manifest.json")))
        return manifest["people"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    public static func url(_ person: String, _ file: String) -> URL { root.appendingPathComponent(person).appendingPathComponent(file) }
    public static func data(_ person: String, _ file: String) throws -> Data { try Data(contentsOf: url(person, file)) }
    public static func expected(_ person: String) throws -> JSONValue { try JSONValue(parsing: Data(contentsOf: url(person, "expected.json"))) }
}

/// More generated applicants for the flywheel's measurement (`scripts/generate-samples --out .centaur/samples-flywheel
/// --count 24`; the first six are `Samples`' six).
public enum FlywheelSamples {
    public static let root = Repository.root.appendingPathComponent(".centaur/samples-flywheel")
    public static var present: Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("manifest.json").path) }

    public static func people() throws -> [String] {
        let manifest = try JSONValue(parsing: Data(contentsOf: root.appendingPathComponent("manifest.json")))
        return manifest["people"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    public static func url(_ person: String, _ file: String) -> URL { root.appendingPathComponent(person).appendingPathComponent(file) }
}

/// The local llama.cpp model that `scripts/setup-local-model` installs under `CENTAUR_HOME` (else `.centaur`).
public enum LocalModel {
    public static let home = ProcessInfo.processInfo.environment["CENTAUR_HOME"] ?? Repository.root.appendingPathComponent(".centaur").path
    public static let modelPath = "\(home)/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    public static var isInstalled: Bool {
        FileManager.default.fileExists(atPath: modelPath) && FileManager.default.isExecutableFile(atPath: "\(home)/venv/bin/python")
    }
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_LOCAL_MODEL"] == "1" }
    /// The trait for a suite that needs the model (and, with `samples`, the generated samples too).
    public static func needed(samples: Bool = false) -> ConditionTrait {
        let here = isInstalled && (!samples || Samples.present)
        let required = isRequired && (!samples || Samples.required)
        return .enabled(if: here || required, samples ? "run scripts/setup-local-model and scripts/generate-samples" : "run scripts/setup-local-model")
    }
}

/// Makes a fresh folder under the system's temporary directory.
public func temporaryDirectory(_ prefix: String = "centaur-test") -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
