import CentaurCore
import CentaurExtraction
import Foundation
import Logging

/// Few-shot examples from the training split of the newest dataset version of each document type, looked for again at
/// most every `interval`: a version snapshotted while `centaur serve` runs (`centaur dataset snapshot`) is used from
/// the next extraction on, without a restart. Versions are immutable and named by their content, so a changed set of
/// newest ids is the only thing that makes it read rows and embed examples again.
public actor DatasetExamples: FewShotSelector {
    public let library: DatasetLibrary
    public let k: Int
    public let interval: Duration
    private let embedder: any EmbeddingModel
    private let logger: Logger
    private var versions: [String] = []
    private var selector: NearestExamples?
    private var checked: ContinuousClock.Instant?

    public nonisolated var label: String { "nearest\(k)" }

    public init(library: DatasetLibrary, k: Int, embedder: any EmbeddingModel, interval: Duration = .seconds(10),
                logger: Logger = Logger(label: "centaur.datasets")) {
        self.library = library
        self.k = k
        self.embedder = embedder
        self.interval = interval
        self.logger = logger
    }

    /// The newest version of each document type, sorted by id.
    public static func newestVersions(in library: DatasetLibrary) throws -> [DatasetManifest] {
        var newest: [String: DatasetManifest] = [:]
        for manifest in try library.list() where newest[manifest.documentType] == nil { newest[manifest.documentType] = manifest }
        return newest.values.sorted { $0.id < $1.id }
    }

    /// The newest version of each document type, by id, and their training rows that have text, as examples.
    public static func newest(in library: DatasetLibrary) throws -> (versions: [String], pool: [FewShotExample]) {
        let manifests = try newestVersions(in: library)
        return (manifests.map(\.id), try pool(manifests, in: library))
    }

    static func pool(_ manifests: [DatasetManifest], in library: DatasetLibrary) throws -> [FewShotExample] {
        try manifests.flatMap { manifest in
            try library.rows(manifest.id).filter { $0.split == "train" }.compactMap { row in
                row.text.map { FewShotExample(subject: row.subject, documentType: row.documentType, text: $0, answer: .object(row.fields)) }
            }
        }
    }

    /// The dataset versions the examples come from now (after a look, if one is due).
    public func currentVersions() -> [String] {
        refreshIfDue()
        return versions
    }

    public func examples(for type: DocumentType, text: String, subject: String?) async throws -> [FewShotExample] {
        refreshIfDue()
        return try await selector?.examples(for: type, text: text, subject: subject) ?? []
    }

    /// Looks for newer versions when `interval` has passed since the last look. A version that cannot be read leaves
    /// the examples in use as they were (logged): a damaged snapshot never stops extraction.
    private func refreshIfDue() {
        let now = ContinuousClock.now
        if let checked, now - checked < interval { return }
        checked = now
        do {
            let manifests = try Self.newestVersions(in: library)
            let ids = manifests.map(\.id)
            guard ids != versions else { return }
            let pool = try Self.pool(manifests, in: library)
            if !versions.isEmpty { logger.info("few-shot examples from a new dataset version", metadata: ["datasets": "\(ids)", "examples": "\(pool.count)"]) }
            versions = ids
            selector = NearestExamples(pool, k: k, embedder: embedder)
        } catch {
            logger.warning("few-shot: a dataset version could not be read; the examples in use stay", metadata: ["error": "\(error)"])
        }
    }
}
