import CentaurStore
import Foundation
import GRDB

/// Every migration of the SQLite schema, in the order they apply. Append-only and named: each runs in its own
/// transaction, and one that has shipped is never edited (add the next). A migration's body sits beside the
/// store code for its tables (`SQLiteStore+Workflow.swift`, `+Cache`, `+Evals`, `+Users`); this list is the one
/// place that says the order.
extension SQLiteStore {
    static let migrations: [(name: String, apply: @Sendable (Database) throws -> Void)] = [
        ("0001-create-trace", createTrace),
        ("0002-create-api-key", createAPIKey),
        ("0003-api-key-reviewer-scope", allowReviewerScope),
        ("0004-create-workflow", createWorkflow),
        ("0005-create-response-cache", createResponseCache),
        ("0006-api-key-limits", addAPIKeyLimits),
        ("0007-create-evals", createEvals),
        ("0008-create-web-users", createWebUsers),
        ("0009-web-user-disabled", addWebUserDisabled),
        ("0010-generic-jobs", generalizeJobs),
        ("0011-workflow-state-checks", checkWorkflowStates),
        ("0012-fair-jobs", addJobLanes),
    ]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations { migrator.registerMigration(migration.name, migrate: migration.apply) }
        return migrator
    }

    static func createTrace(_ db: Database) throws {
        try db.create(table: "trace") { t in
            t.primaryKey("id", .text)
            t.column("request_id", .text).notNull().indexed()
            t.column("started_at", .datetime).notNull().indexed()
            t.column("ended_at", .datetime).notNull()
            t.column("key_id", .text).indexed()
            t.column("team", .text)
            t.column("route", .text).notNull()
            t.column("surface", .text).notNull()
            t.column("model", .text).notNull().indexed()
            t.column("provider", .text).notNull()
            t.column("upstream_model", .text).notNull()
            t.column("attempt", .integer).notNull().check { $0 >= 1 }
            t.column("status", .text).notNull().check { TraceStatus.allCases.map(\.rawValue).contains($0) }
            t.column("error_class", .text)
            t.column("error_message", .text)
            t.column("http_status", .integer)
            t.column("input_tokens", .integer).notNull().check { $0 >= 0 }
            t.column("output_tokens", .integer).notNull().check { $0 >= 0 }
            t.column("cache_read_tokens", .integer).notNull().check { $0 >= 0 }
            t.column("cache_write_tokens", .integer).notNull().check { $0 >= 0 }
            t.column("cost_usd", .double)
            t.column("latency_ms", .double).notNull()
            t.column("time_to_first_token_ms", .double)
            t.column("tags", .jsonText).notNull()
            t.column("request_body", .text)
            t.column("response_body", .text)
        }
    }

    static func createAPIKey(_ db: Database) throws {
        try db.create(table: "api_key") { t in
            t.primaryKey("id", .text)
            t.column("name", .text).notNull()
            t.column("team", .text)
            t.column("scope", .text).notNull().check { ["gateway", "admin"].contains($0) }
            t.column("hash", .text).notNull().unique()
            t.column("prefix", .text).notNull()
            t.column("created_at", .datetime).notNull()
            t.column("revoked_at", .datetime)
        }
    }

    static func allowReviewerScope(_ db: Database) throws {
        // SQLite cannot change a CHECK constraint in place: rebuild the table with the new scope allowed.
        try db.create(table: "api_key_new") { t in
            t.primaryKey("id", .text)
            t.column("name", .text).notNull()
            t.column("team", .text)
            t.column("scope", .text).notNull().check { ["gateway", "reviewer", "admin"].contains($0) }
            t.column("hash", .text).notNull().unique()
            t.column("prefix", .text).notNull()
            t.column("created_at", .datetime).notNull()
            t.column("revoked_at", .datetime)
        }
        try db.execute(sql: "INSERT INTO api_key_new SELECT id, name, team, scope, hash, prefix, created_at, revoked_at FROM api_key")
        try db.drop(table: "api_key")
        try db.rename(table: "api_key_new", to: "api_key")
    }

    static func addAPIKeyLimits(_ db: Database) throws {
        try db.alter(table: "api_key") { t in
            t.add(column: "rpm", .integer).check { $0 == nil || $0 > 0 }
            t.add(column: "tpm", .integer).check { $0 == nil || $0 > 0 }
            t.add(column: "monthly_usd", .double).check { $0 == nil || $0 >= 0 }
        }
    }
}
