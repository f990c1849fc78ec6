import CentaurCore
import CentaurExtraction
import CentaurStore
import Foundation

/// A labelled example as exported for evals: JSON values, not JSON text.
public struct DatasetExample: Sendable, Encodable {
    public var id: String
    public var applicationID: String
    public var documents: JSONValue
    public var documentType: String
    public var schemaVersion: Int
    public var field: String
    public var chosenSource: String
    public var model: String?
    public var promptVersion: String?
    public var modelValue: JSONValue
    public var humanValue: JSONValue
    public var rightSources: JSONValue
    public var kind: String
    public var actor: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, documents, field, model, kind, actor
        case applicationID = "application_id", documentType = "document_type", schemaVersion = "schema_version"
        case chosenSource = "chosen_source", promptVersion = "prompt_version", modelValue = "model_value"
        case humanValue = "human_value", rightSources = "right_sources", createdAt = "created_at"
    }

    public init(_ record: LabelledExampleRecord) throws {
        id = record.id; applicationID = record.applicationID; documents = try JSONValue(parsing: record.documents)
        documentType = record.documentType; schemaVersion = record.schemaVersion; field = record.field
        chosenSource = record.chosenSource; model = record.model; promptVersion = record.promptVersion
        modelValue = try JSONValue(parsing: record.modelValue); humanValue = try JSONValue(parsing: record.humanValue)
        rightSources = try JSONValue(parsing: record.rightSources); kind = record.kind; actor = record.actor; createdAt = record.createdAt
    }
}

/// How often one source got one field wrong, judged by what humans confirmed or corrected.
public struct FieldErrorRate: Sendable, Encodable, Hashable {
    public var documentType: String
    public var field: String
    /// `barcode`, `form_fields`, `layout_text`, `text` or `model:NAME`.
    public var source: String
    public var promptVersion: String?
    /// Values this source gave on confirmed applications.
    public var observed: Int
    /// Of those, how many a human changed.
    public var errors: Int
    public var errorRate: Double
    /// The week the applications were opened (`2026-11-16`, a Monday), when rates are grouped by week.
    public var week: String?

    enum CodingKeys: String, CodingKey {
        case field, source, observed, errors, week
        case documentType = "document_type", promptVersion = "prompt_version", errorRate = "error_rate"
    }
}

extension OnboardingService {
    public func datasetExamples(documentType: String?) async throws -> [DatasetExample] {
        try await store.examples(documentType: documentType).map(DatasetExample.init)
    }

    /// Per document type, field, source and prompt version: values given on confirmed applications and how many
    /// a human changed (applicant adjustments and reviewer corrections; the last human value counts).
    public func fieldErrorRates(byWeek: Bool = false) async throws -> [FieldErrorRate] {
        let confirmed: [ApplicationState] = [.checked, .autoApproved, .inReview, .approved, .rejected, .resubmissionRequested]
        struct Key: Hashable { var documentType, field, source: String; var promptVersion, week: String? }
        var counts: [Key: (observed: Int, errors: Int)] = [:]
        for application in try await store.applications(states: confirmed, limit: 1_000_000) {
            guard let extraction = try await store.latestExtraction(applicationID: application.id) else { continue }
            let documents = try Self.decode([ReconciledDocument].self, extraction.documents)
            let changes = try await currentChanges(applicationID: application.id, extractionID: extraction.id, kind: nil)
            let final = Self.apply(changes, to: documents)
            for (document, human) in zip(documents, final) {
                let type = try? DocumentType.named(document.documentType)
                for field in type?.fields ?? [] where document.provenance[field.name] != nil {
                    let truth = human.fields[field.name] ?? .null
                    for (source, value) in Self.sourceValues(of: field.name, in: document) {
                        let prompt = source.hasPrefix("model:")
                            ? document.attempts.first { $0.model == String(source.dropFirst(6)) }?.promptVersion : nil
                        let key = Key(documentType: document.documentType, field: field.name, source: source, promptVersion: prompt,
                                      week: byWeek ? Self.week(of: application.createdAt) : nil)
                        let wrong = !Reconciler.agree(value, truth, kind: field.kind)
                        let (observed, errors) = counts[key] ?? (0, 0)
                        counts[key] = (observed + 1, errors + (wrong ? 1 : 0))
                    }
                }
            }
        }
        return counts.map { key, value in
            FieldErrorRate(documentType: key.documentType, field: key.field, source: key.source, promptVersion: key.promptVersion,
                           observed: value.observed, errors: value.errors,
                           errorRate: value.observed == 0 ? 0 : Double(value.errors) / Double(value.observed), week: key.week)
        }
        .sorted { ($0.week ?? "", $0.documentType, $0.field, $0.source) < ($1.week ?? "", $1.documentType, $1.field, $1.source) }
    }

    /// The Monday (UTC) of the week a date falls in.
    static func week(of date: Date) -> String {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let monday = calendar.date(from: calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)) ?? date
        return String(AuditEntry.timestamp(monday).prefix(10))
    }
}
