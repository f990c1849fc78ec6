import CentaurCore
import CentaurExtraction
import CentaurRules
import CentaurStore
import Foundation

/// A reviewer's decision.
public enum ReviewDecision: String, Sendable, Hashable, Codable, CaseIterable {
    case approve
    case reject
    case requestResubmission = "request_resubmission"

    var event: ApplicationEvent {
        switch self {
        case .approve: .approve
        case .reject: .reject
        case .requestResubmission: .requestResubmission
        }
    }
}

extension OnboardingService {
    // MARK: Applicant confirmation

    /// The applicant confirms the extracted values, changing any (`values[documentType][field]`); the rules and
    /// the auto-approval policy then run in the same transaction. Returns the application afterwards.
    public func confirm(applicationID: String, values: [String: [String: JSONValue]], actor: String = "applicant") async throws -> ApplicationRecord {
        let application = try await load(applicationID)
        var state = try transition(application, .confirm)
        guard let extraction = try await store.latestExtraction(applicationID: applicationID) else {
            throw WorkflowError(.conflict, "application \(applicationID) has no extracted values to confirm")
        }
        let extracted = try Self.decode([ReconciledDocument].self, extraction.documents)
        let changes = try Self.adjustments(of: extracted, to: values)
        let date = now()
        let documentRecords = try await store.documents(applicationID: applicationID)
        var change = WorkflowChange(application: application, expectedVersion: application.version)
        change.adjustments = changes.map { adjustment in
            AdjustmentRecord(id: "adj_" + Self.randomToken(bytes: 12), applicationID: applicationID, extractionID: extraction.id,
                             documentType: adjustment.documentType, field: adjustment.field, before: adjustment.before.jsonString(),
                             after: adjustment.after.jsonString(), kind: "applicant", actor: actor, reason: nil,
                             highRisk: adjustment.highRisk, createdAt: date)
        }
        change.examples = changes.map { Self.example(of: $0, in: extracted, documents: documentRecords, applicationID: applicationID,
                                                      kind: "applicant_adjustment", actor: actor, date: date) }
        let current = Self.apply(changes, to: extracted)
        let (results, reasons) = evaluate(current, extracted: extracted, adjustments: changes, marketState: application.marketState)
        state = try ApplicationMachine.next(state, on: .check)
        state = try ApplicationMachine.next(state, on: reasons.isEmpty ? .autoApprove : .sendToReview)
        change.check = CheckRecord(
            id: "chk_" + Self.randomToken(bytes: 12), applicationID: applicationID, extractionID: extraction.id, ruleSet: ruleSet.id,
            ruleSetVersion: ruleSet.version, results: try Self.encode(results), outcome: state,
            reasons: try Self.encode(reasons), createdAt: date)
        change.application.state = state
        change.application.updatedAt = date
        change.application.risk = reasons.map(\.weight).reduce(0, +)
        change.application.reasons = try Self.encode(reasons.map(\.message))
        let target = Self.target(applicationID)
        let fired = results.filter { $0.outcome == .fired }.map { JSONValue.string("\($0.severity.rawValue):\($0.rule)") }
        change.audit = [
            AuditDraft(actor: actor, action: "application.confirmed", target: target,
                       before: Self.json(["state": .string(application.state.rawValue)]),
                       after: Self.json(["state": .string(ApplicationState.confirmed.rawValue), "adjustments": .array(changes.map(Self.describe))])),
            AuditDraft(actor: "system:rules", action: "rules.checked", target: target,
                       after: Self.json(["rule_set": .string("\(ruleSet.id)@\(ruleSet.version)"), "fired": .array(fired)])),
            AuditDraft(actor: "system:policy", action: reasons.isEmpty ? "application.auto_approved" : "application.sent_to_review", target: target,
                       before: Self.json(["state": .string(ApplicationState.checked.rawValue)]),
                       after: Self.json(["state": .string(state.rawValue), "reasons": .array(reasons.map { .string($0.message) })])),
        ]
        try await commit(change)
        return change.application
    }

    // MARK: Reviewer actions

    /// Takes an application in review; another reviewer's claim is a conflict.
    public func claim(applicationID: String, reviewer: String) async throws -> ApplicationRecord {
        let application = try await load(applicationID)
        _ = try transition(application, .claim)
        if let assignee = application.assignee, assignee != reviewer {
            throw WorkflowError(.conflict, "application \(applicationID) is claimed by \(assignee)")
        }
        return try await assign(application, to: reviewer, by: reviewer, action: "review.claimed")
    }

    /// Sets who holds an application in review, with its audit entry, in one transaction.
    private func assign(_ application: ApplicationRecord, to assignee: String?, by reviewer: String, action: String) async throws -> ApplicationRecord {
        var updated = application
        updated.assignee = assignee
        updated.updatedAt = now()
        var change = WorkflowChange(application: updated, expectedVersion: application.version)
        change.audit = [AuditDraft(actor: reviewer, action: action, target: Self.target(application.id),
                                   before: Self.json(["assignee": application.assignee.map(JSONValue.string) ?? .null]),
                                   after: Self.json(["assignee": assignee.map(JSONValue.string) ?? .null]))]
        try await commit(change)
        return updated
    }

    /// Gives a claimed application back to the queue; only its claimant may.
    public func release(applicationID: String, reviewer: String) async throws -> ApplicationRecord {
        let application = try await load(applicationID)
        _ = try transition(application, .claim)  // only an application in review is claimed or released
        guard let assignee = application.assignee else { throw WorkflowError(.conflict, "application \(applicationID) is not claimed") }
        guard assignee == reviewer else {
            throw WorkflowError(.conflict, "application \(applicationID) is claimed by \(assignee); only they can release it")
        }
        return try await assign(application, to: nil, by: reviewer, action: "review.released")
    }

    /// Two reviewers never act on one case: an application claimed by someone else is theirs to decide or correct.
    func requireNotClaimedByAnother(_ application: ApplicationRecord, reviewer: String) throws {
        if let assignee = application.assignee, assignee != reviewer {
            throw WorkflowError(.conflict, "application \(application.id) is claimed by \(assignee); ask them, or wait until they release it")
        }
    }

    /// Corrects one value as a reviewer (a labelled example); the rules run again on the corrected values.
    public func correct(applicationID: String, documentType: String, field: String, value: JSONValue, reason: String,
                        reviewer: String) async throws -> ApplicationRecord {
        let reason = try Self.requireReason(reason)
        let application = try await load(applicationID)
        _ = try transition(application, .correct)
        try requireNotClaimedByAnother(application, reviewer: reviewer)
        guard let extraction = try await store.latestExtraction(applicationID: applicationID) else {
            throw WorkflowError(.conflict, "application \(applicationID) has no extracted values")
        }
        let previous = try await store.adjustments(applicationID: applicationID).filter { $0.extractionID == extraction.id }
        let applicantChanges = try previous.filter { $0.kind == "applicant" }.map { record in
            FieldAdjustment(documentType: record.documentType, field: record.field, before: try JSONValue(parsing: record.before),
                            after: try JSONValue(parsing: record.after), highRisk: record.highRisk)
        }
        let earlier = try previous.map { record in
            FieldAdjustment(documentType: record.documentType, field: record.field, before: try JSONValue(parsing: record.before),
                            after: try JSONValue(parsing: record.after), highRisk: record.highRisk)
        }
        let extracted = try Self.decode([ReconciledDocument].self, extraction.documents)
        let current = Self.apply(earlier, to: extracted)
        let changes = try Self.adjustments(of: current, to: [documentType: [field: value]])
        guard let correction = changes.first else {
            throw WorkflowError(.invalid, "\(documentType).\(field) already has this value")
        }
        let date = now()
        let documentRecords = try await store.documents(applicationID: applicationID)
        var change = WorkflowChange(application: application, expectedVersion: application.version)
        change.adjustments = [AdjustmentRecord(
            id: "adj_" + Self.randomToken(bytes: 12), applicationID: applicationID, extractionID: extraction.id, documentType: documentType,
            field: field, before: correction.before.jsonString(), after: correction.after.jsonString(), kind: "reviewer", actor: reviewer,
            reason: reason, highRisk: correction.highRisk, createdAt: date)]
        // The example compares the machine's original value (not an applicant's edit) with the reviewer's.
        var machine = correction
        machine.before = extracted.first { $0.documentType == documentType }?.fields[field] ?? .null
        change.examples = [Self.example(of: machine, in: extracted, documents: documentRecords, applicationID: applicationID,
                                        kind: "reviewer_correction", actor: reviewer, date: date)]
        let all = earlier + [correction]
        let (results, reasons) = evaluate(Self.apply(all, to: extracted), extracted: extracted, adjustments: applicantChanges,
                                          marketState: application.marketState)
        change.check = CheckRecord(
            id: "chk_" + Self.randomToken(bytes: 12), applicationID: applicationID, extractionID: extraction.id, ruleSet: ruleSet.id,
            ruleSetVersion: ruleSet.version, results: try Self.encode(results), outcome: .inReview,
            reasons: try Self.encode(reasons), createdAt: date)
        change.application.updatedAt = date
        change.application.reasons = try Self.encode(reasons.map(\.message))
        change.audit = [AuditDraft(actor: reviewer, action: "review.corrected", target: Self.target(applicationID),
                                   before: Self.json(["field": .string("\(documentType).\(field)"), "value": correction.before]),
                                   after: Self.json(["field": .string("\(documentType).\(field)"), "value": correction.after, "reason": .string(reason)]))]
        try await commit(change)
        return change.application
    }

    /// Approves, rejects or asks for new documents. The reason is required and kept with the decision.
    public func decide(applicationID: String, decision: ReviewDecision, reason: String, reviewer: String) async throws -> ApplicationRecord {
        let reason = try Self.requireReason(reason)
        let application = try await load(applicationID)
        let state = try transition(application, decision.event)
        try requireNotClaimedByAnother(application, reviewer: reviewer)
        let date = now()
        var change = WorkflowChange(application: application, expectedVersion: application.version)
        change.application.state = state
        change.application.updatedAt = date
        change.decision = DecisionRecord(id: "dec_" + Self.randomToken(bytes: 12), applicationID: applicationID,
                                         decision: decision.rawValue, reason: reason, actor: reviewer, createdAt: date)
        change.audit = [AuditDraft(actor: reviewer, action: "review.decided", target: Self.target(applicationID),
                                   before: Self.json(["state": .string(application.state.rawValue)]),
                                   after: Self.json(["state": .string(state.rawValue), "decision": .string(decision.rawValue), "reason": .string(reason)]))]
        try await commit(change)
        return change.application
    }

    // MARK: Helpers

    /// The rules on the current values and the policy's reasons, given the values as the sources read them
    /// (so a change that silences a rule, or overrides a deterministic source, is itself a reason).
    func evaluate(_ documents: [ReconciledDocument], extracted: [ReconciledDocument], adjustments: [FieldAdjustment],
                  marketState: String?) -> ([RuleResult], [AutoApprovalPolicy.Reason]) {
        let results = ruleSet.evaluate(RuleFacts(documents: documents, today: today(), marketState: marketState, minimumAge: minimumAge))
        let asRead = ruleSet.evaluate(RuleFacts(documents: extracted, today: today(), marketState: marketState, minimumAge: minimumAge))
        return (results, policy.reasons(documents: documents, extracted: extracted, adjustments: adjustments, results: results,
                                        extractedResults: asRead, requirements: ruleSet.approval))
    }

    static func requireReason(_ reason: String) throws -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw WorkflowError(.invalid, "a reason is required") }
        return trimmed
    }

    /// The values that differ from the extracted ones, normalised as their fields say.
    static func adjustments(of documents: [ReconciledDocument], to values: [String: [String: JSONValue]]) throws -> [FieldAdjustment] {
        var changes: [FieldAdjustment] = []
        for (typeID, fields) in values.sorted(by: { $0.key < $1.key }) {
            guard let document = documents.first(where: { $0.documentType == typeID }), let type = try? DocumentType.named(typeID) else {
                throw WorkflowError(.invalid, "no \(typeID) was extracted from this application's documents (have: \(documents.map(\.documentType).joined(separator: ", ")))")
            }
            for (name, raw) in fields.sorted(by: { $0.key < $1.key }) {
                guard let field = type.field(name) else {
                    throw WorkflowError(.invalid, "\(typeID) has no field \(name)")
                }
                let value = Normalizer.normalize(raw, for: field)
                let before = document.fields[name] ?? .null
                if value != before {
                    changes.append(FieldAdjustment(documentType: typeID, field: name, before: before, after: value, highRisk: field.highRisk))
                }
            }
        }
        return changes
    }

    /// The documents with the human changes applied, in order.
    public static func apply(_ changes: [FieldAdjustment], to documents: [ReconciledDocument]) -> [ReconciledDocument] {
        var documents = documents
        for change in changes {
            guard let index = documents.firstIndex(where: { $0.documentType == change.documentType }) else { continue }
            documents[index].fields[change.field] = change.after
        }
        return documents
    }

    static func describe(_ change: FieldAdjustment) -> JSONValue {
        ["field": .string("\(change.documentType).\(change.field)"), "before": change.before, "after": change.after, "high_risk": .bool(change.highRisk)]
    }

    /// The labelled example a human change makes: every source's value is compared with the human's.
    static func example(of change: FieldAdjustment, in documents: [ReconciledDocument], documents records: [DocumentRecord],
                        applicationID: String, kind: String, actor: String, date: Date) -> LabelledExampleRecord {
        let document = documents.first { $0.documentType == change.documentType }
        let type = try? DocumentType.named(change.documentType)
        let sources = document.map { sourceValues(of: change.field, in: $0) } ?? []
        let fieldKind = type?.field(change.field)?.kind ?? .text
        let right = sources.filter { Reconciler.agree($0.value, change.after, kind: fieldKind) }.map { JSONValue.string($0.source) }
        let model = sources.first { $0.source.hasPrefix("model:") }.map { String($0.source.dropFirst(6)) }
        let prompt = model.flatMap { name in document?.attempts.first { $0.model == name }?.promptVersion }
        let files: [JSONValue] = (document?.documents ?? []).map { name in
            ["name": .string(name), "sha256": records.first { $0.name == name && !$0.superseded }.map { .string($0.sha256) } ?? .null]
        }
        return LabelledExampleRecord(
            id: "lex_" + randomToken(bytes: 12), applicationID: applicationID, documents: JSONValue.array(files).jsonString(),
            documentType: change.documentType, schemaVersion: type?.version ?? 0, field: change.field,
            chosenSource: document?.provenance[change.field]?.first?.source ?? "none", model: model, promptVersion: prompt,
            modelValue: change.before.jsonString(), humanValue: change.after.jsonString(), rightSources: JSONValue.array(right).jsonString(),
            kind: kind, actor: actor, createdAt: date)
    }

    /// Each source's value for a field: the chosen value unless the source disagreed.
    static func sourceValues(of field: String, in document: ReconciledDocument) -> [(source: String, value: JSONValue)] {
        let chosen = document.fields[field] ?? .null
        let disagreement = document.disagreements.first { $0.field == field }
        return (document.provenance[field] ?? []).map { provenance in
            let value = disagreement?.values.first { $0.source == provenance.source && $0.document == provenance.document }?.value ?? chosen
            return (provenance.source, value)
        }
    }
}
