import CentaurSQLite
import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurStore
import Foundation

enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let samples = repository.appendingPathComponent(".centaur/samples")
    static var samplesPresent: Bool { FileManager.default.fileExists(atPath: samples.appendingPathComponent("manifest.json").path) }
    /// scripts/test generates the samples and sets this, so a missing sample fails instead of skipping.
    static var samplesRequired: Bool { ProcessInfo.processInfo.environment["CENTAUR_REQUIRE_SAMPLES"] == "1" }

    static func sample(_ person: String, _ file: String) throws -> Data {
        try Data(contentsOf: samples.appendingPathComponent(person).appendingPathComponent(file))
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("centaur-review-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A service over a fresh SQLite store and blob folder.
    static func service(directory: URL = temporaryDirectory(), pipeline: DocumentPipeline = DocumentPipeline(modelUse: .never)) throws -> (OnboardingService, SQLiteStore) {
        let store = try SQLiteStore(path: directory.appendingPathComponent("centaur.sqlite").path)
        let service = OnboardingService(store: store, blobs: FileBlobStore(root: directory.appendingPathComponent("blobs")),
                                        ruleSet: try RuleSet.builtIn(named: "driver-onboarding"), pipeline: pipeline)
        return (service, store)
    }
}
