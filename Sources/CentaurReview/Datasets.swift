import CentaurCore
import CentaurExtraction
import CentaurStore
import Crypto
import Foundation

/// One document of one application as a labelled row: the text the model reads, what the machine extracted, and the
/// values a human stands behind (the applicant confirmed them, with any of their adjustments and any reviewer's
/// corrections applied).
public struct DatasetRow: Sendable, Hashable, Codable {
    /// The application: rows of one subject always fall in one split.
    public var subject: String
    public var documentType: String
    public var schemaVersion: Int
    /// The files read, by name.
    public var documents: [String]
    /// The document's text as the text reader gave it (nil when none was read, e.g. a barcode alone).
    public var text: String?
    /// The truth.
    public var fields: [String: JSONValue]
    /// What the machine extracted.
    public var machine: [String: JSONValue]
    /// The fields a human changed, in name order.
    public var corrected: [String]
    /// `train` or `test`.
    public var split: String

    enum CodingKeys: String, CodingKey {
        case subject, documents, text, fields, machine, corrected, split
        case documentType = "document_type", schemaVersion = "schema_version"
    }
}

/// A dataset version: immutable, named by the hash of its content, so the same rows give the same id.
public struct DatasetManifest: Sendable, Hashable, Codable {
    public var id: String
    public var documentType: String
    /// SHA-256 of the rows as written (canonical JSON, one per line, by subject).
    public var sha256: String
    public var createdAt: Date
    public var rows: Int
    public var train: Int
    public var test: Int
    public var testShare: Double
    /// Rows with at least one human correction.
    public var corrected: Int

    enum CodingKeys: String, CodingKey {
        case id, sha256, rows, train, test, corrected
        case documentType = "document_type", createdAt = "created_at", testShare = "test_share"
    }
}

/// A dataset file that cannot be written.
public struct DatasetFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Where dataset versions live: `DIRECTORY/ID.jsonl` (the rows) and `DIRECTORY/ID.json` (the manifest), written once.
public struct DatasetLibrary: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// The canonical text of rows: sorted keys, one row per line, rows by subject.
    public static func canonical(_ rows: [DatasetRow]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for row in rows.sorted(by: { ($0.subject, $0.documentType) < ($1.subject, $1.documentType) }) {
            data.append(try encoder.encode(row))
            data.append(0x0A)
        }
        return data
    }

    /// `test` for about `testShare` of subjects, `train` for the rest: a hash of the subject, so a subject's rows never
    /// straddle the splits and a subject keeps its split in every later snapshot.
    public static func split(of subject: String, testShare: Double) -> String {
        point(of: subject) < testShare ? "test" : "train"
    }

    /// Where a subject falls in [0, 1): the first 53 bits of the SHA-256 of its id. Subjects below the test share are
    /// held out.
    public static func point(of subject: String) -> Double {
        let digest = Array(SHA256.hash(data: Data(subject.utf8)))
        let bits = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(bits >> 11) / Double(UInt64(1) << 53)
    }

    /// Writes a version of `rows` (their `split` set here) unless the same content is stored already; returns its
    /// manifest and whether it is new.
    public func snapshot(_ rows: [DatasetRow], documentType: String, testShare: Double, now: Date = Date()) throws -> (DatasetManifest, created: Bool) {
        guard (0..<1).contains(testShare) else { throw WorkflowError(.invalid, "the test share is at least 0 and below 1 (got \(testShare))") }
        let rows = rows.map { row -> DatasetRow in
            var row = row
            row.split = Self.split(of: row.subject, testShare: testShare)
            return row
        }
        let data = try Self.canonical(rows)
        let hash = OnboardingService.sha256(data)
        let id = "ds-\(documentType)-\(hash.prefix(12))"
        if let existing = try manifest(id) { return (existing, false) }
        let manifest = DatasetManifest(
            id: id, documentType: documentType, sha256: hash, createdAt: now, rows: rows.count, train: rows.filter { $0.split == "train" }.count,
            test: rows.filter { $0.split == "test" }.count, testShare: testShare, corrected: rows.filter { !$0.corrected.isEmpty }.count)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Rows hold documents' text and personal data: readable by this user alone.
        try write(data, to: directory.appendingPathComponent(id + ".jsonl"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        try write(try encoder.encode(manifest), to: directory.appendingPathComponent(id + ".json"))
        return (manifest, true)
    }

    private func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw DatasetFileError(description: "cannot write \(temporary.path)")
        }
        if rename(temporary.path, url.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw DatasetFileError(description: "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }

    public func manifest(_ id: String) throws -> DatasetManifest? {
        guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { throw WorkflowError(.invalid, "no dataset \(id)") }
        let url = directory.appendingPathComponent(id + ".json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(DatasetManifest.self, from: data)
    }

    /// Every version, newest first.
    public func list() throws -> [DatasetManifest] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return try names.filter { $0.hasSuffix(".json") }.compactMap { try manifest(String($0.dropLast(5))) }
            .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    /// A version's rows, checked against the hash in its manifest (a changed file is refused, not used).
    public func rows(_ id: String) throws -> [DatasetRow] {
        guard let manifest = try manifest(id) else { throw WorkflowError(.notFound, "no dataset \(id) (centaur dataset list)") }
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(id + ".jsonl").path) else {
            throw WorkflowError(.notFound, "dataset \(id) has a manifest but no rows")
        }
        let hash = OnboardingService.sha256(data)
        guard hash == manifest.sha256 else { throw WorkflowError(.conflict, "dataset \(id) was changed after it was written (its hash differs): snapshot again") }
        let decoder = JSONDecoder()
        return try data.split(separator: 0x0A).map { try decoder.decode(DatasetRow.self, from: Data($0)) }
    }
}

/// What changed between two versions, by subject and document type.
public struct DatasetDiff: Sendable, Hashable, Codable {
    public var added: [String]
    public var removed: [String]
    /// Rows whose truth changed, with the fields that did.
    public var changed: [String: [String]]
    public var unchanged: Int

    public init(from old: [DatasetRow], to new: [DatasetRow]) {
        func key(_ row: DatasetRow) -> String { "\(row.subject)/\(row.documentType)" }
        let before = Dictionary(old.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        added = after.keys.filter { before[$0] == nil }.sorted()
        removed = before.keys.filter { after[$0] == nil }.sorted()
        var changed: [String: [String]] = [:]
        var unchanged = 0
        for (key, row) in after {
            guard let previous = before[key] else { continue }
            let fields = Set(row.fields.keys).union(previous.fields.keys).filter { row.fields[$0] != previous.fields[$0] }.sorted()
            if fields.isEmpty { unchanged += 1 } else { changed[key] = fields }
        }
        self.changed = changed
        self.unchanged = unchanged
    }
}

/// Rows written in the formats others read.
public enum DatasetExport {
    public enum Format: String, Sendable, CaseIterable {
        /// The rows themselves.
        case jsonl
        /// OpenAI's chat fine-tuning format: `{"messages": [system, user, assistant]}`.
        case openaiFT = "openai-ft"
        /// Bedrock's format for fine-tuning Anthropic Claude 3 Haiku: `{"system", "messages": [user, assistant]}`.
        case bedrockFT = "bedrock-ft"
        /// promptfoo test cases (one per line): the document text as a var, one `javascript` assertion per field.
        case promptfoo
    }

    /// The lines of `rows` in `format`; rows without text are left out of every format but `jsonl` (the count is
    /// returned) since a model learns nothing from a prompt without its document.
    public static func lines(_ rows: [DatasetRow], format: Format) throws -> (lines: [String], skipped: Int) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func json(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        if format == .jsonl { return (try rows.map(json), 0) }
        var lines: [String] = []
        var skipped = 0
        for row in rows {
            guard let text = row.text, !text.isEmpty, let type = try? DocumentType.named(row.documentType) else { skipped += 1; continue }
            let user = try ModelExtractor.textPrompt(for: type, documentText: ModelExtractor.modelText(text, type: type))
            let answer = JSONValue.object(Dictionary(uniqueKeysWithValues: type.modelFields.map { ($0.name, row.fields[$0.name] ?? .null) }))
            let assistant = answer.jsonString()
            switch format {
            case .jsonl: break
            case .openaiFT:
                let messages: JSONValue = ["messages": [
                    ["role": "system", "content": .string(ModelExtractor.systemPrompt)],
                    ["role": "user", "content": .string(user)],
                    ["role": "assistant", "content": .string(assistant)],
                ]]
                lines.append(try json(messages))
            case .bedrockFT:
                let sample: JSONValue = [
                    "system": .string(ModelExtractor.systemPrompt),
                    "messages": [["role": "user", "content": .string(user)], ["role": "assistant", "content": .string(assistant)]],
                ]
                lines.append(try json(sample))
            case .promptfoo:
                var assertions: [JSONValue] = [["type": "is-json"]]
                for field in type.modelFields {
                    let expected = row.fields[field.name] ?? .null
                    assertions.append(["type": "javascript", "metric": .string(field.name),
                                       "value": .string("JSON.parse(output)[\(JSONValue.string(field.name).jsonString())] === \(expected.jsonString())")])
                }
                let test: JSONValue = [
                    "description": .string("\(row.subject) \(row.documentType)"),
                    "vars": ["document_type": .string(row.documentType), "document_text": .string(text), "prompt": .string(user)],
                    "assert": .array(assertions),
                    "metadata": ["split": .string(row.split), "corrected": .array(row.corrected.map(JSONValue.string))],
                ]
                lines.append(try json(test))
            }
        }
        return (lines, skipped)
    }
}

extension OnboardingService {
    /// Every confirmed application's documents of `documentType` as rows (split not yet set), from each application's
    /// latest extraction with the human changes applied.
    public func datasetRows(documentType: String) async throws -> [DatasetRow] {
        let confirmed: [ApplicationState] = [.checked, .autoApproved, .inReview, .approved, .rejected, .resubmissionRequested]
        var rows: [DatasetRow] = []
        for application in try await store.applications(states: confirmed, limit: 1_000_000) {
            guard let extraction = try await store.latestExtraction(applicationID: application.id) else { continue }
            let documents = try Self.decode([ReconciledDocument].self, extraction.documents)
            let changes = try await currentChanges(applicationID: application.id, extractionID: extraction.id, kind: nil)
            let final = Self.apply(changes, to: documents)
            for (machine, human) in zip(documents, final) where machine.documentType == documentType {
                let corrected = Set(changes.filter { $0.documentType == documentType && $0.before != $0.after }.map(\.field))
                    .filter { machine.fields[$0] != human.fields[$0] }.sorted()
                rows.append(DatasetRow(
                    subject: application.id, documentType: documentType, schemaVersion: (try? DocumentType.named(documentType))?.version ?? 0,
                    documents: machine.documents, text: machine.text, fields: human.fields, machine: machine.fields, corrected: corrected, split: ""))
            }
        }
        return rows
    }
}
