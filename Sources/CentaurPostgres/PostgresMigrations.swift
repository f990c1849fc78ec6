import CentaurStore
import Logging
import PostgresNIO

/// Every migration of the PostgreSQL schema, in the order they apply: named, append-only (one that has shipped is
/// never edited; add the next). They run in one transaction holding an advisory lock, so replicas that start together
/// apply each once and wait for each other.
extension PostgresStore {
    static let migrations: [(name: String, sql: [String])] = [
        ("0001-create-stores", [
            """
            CREATE TABLE trace (
                pos bigserial, id text PRIMARY KEY, request_id text NOT NULL, started_at double precision NOT NULL,
                key_id text, team text, route text NOT NULL, model text NOT NULL,
                status text NOT NULL CHECK (status IN (\(TraceStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")))),
                input_tokens bigint NOT NULL, output_tokens bigint NOT NULL, cache_read_tokens bigint NOT NULL,
                cache_write_tokens bigint NOT NULL, cost_usd double precision, tags jsonb NOT NULL, record jsonb NOT NULL)
            """,
            "CREATE INDEX trace_started ON trace (started_at DESC, id DESC)",
            "CREATE INDEX trace_request ON trace (request_id)",
            "CREATE INDEX trace_model ON trace (model, started_at DESC)",
            "CREATE INDEX trace_key ON trace (key_id, started_at DESC)",
            """
            CREATE TABLE api_key (
                pos bigserial, id text PRIMARY KEY, hash text NOT NULL UNIQUE, created_at double precision NOT NULL,
                revoked boolean NOT NULL, record jsonb NOT NULL)
            """,
            """
            CREATE TABLE response_cache (
                key text PRIMARY KEY, expires_at double precision NOT NULL, record jsonb NOT NULL)
            """,
            "CREATE INDEX response_cache_expiry ON response_cache (expires_at)",
            """
            CREATE TABLE web_user (
                id text PRIMARY KEY, username text NOT NULL UNIQUE, record jsonb NOT NULL)
            """,
            """
            CREATE TABLE web_session (
                id_hash text PRIMARY KEY, user_id text NOT NULL REFERENCES web_user (id), expires_at double precision NOT NULL,
                record jsonb NOT NULL)
            """,
            """
            CREATE TABLE eval_run (
                id text PRIMARY KEY, started_at double precision NOT NULL, record jsonb NOT NULL)
            """,
            """
            CREATE TABLE eval_result (
                pos bigserial, run_id text NOT NULL, case_id text NOT NULL, record jsonb NOT NULL, PRIMARY KEY (run_id, case_id))
            """,
            "CREATE TABLE eval_cache (key text PRIMARY KEY, answer text NOT NULL, created_at double precision NOT NULL)",
            """
            CREATE TABLE application (
                id text PRIMARY KEY, token_hash text NOT NULL UNIQUE, created_at double precision NOT NULL,
                state text NOT NULL CHECK (state IN (\(ApplicationState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")))),
                version integer NOT NULL CHECK (version >= 1), record jsonb NOT NULL)
            """,
            "CREATE INDEX application_queue ON application (state, created_at, id)",
            """
            CREATE TABLE application_row (
                pos bigserial, kind text NOT NULL, id text NOT NULL, application_id text NOT NULL REFERENCES application (id),
                record jsonb NOT NULL, PRIMARY KEY (kind, id),
                CHECK (kind IN ('document', 'extraction', 'adjustment', 'check', 'decision')),
                CHECK (kind <> 'decision' OR (record->>'decision' IN ('approve', 'reject', 'request_resubmission')
                                              AND length(record->>'reason') > 0)),
                CHECK (kind <> 'adjustment' OR record->>'kind' IN ('applicant', 'reviewer')),
                CHECK (kind <> 'check' OR record->>'outcome' IN (\(ApplicationState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")))))
            """,
            "CREATE INDEX application_row_by_application ON application_row (application_id, kind, pos)",
            """
            CREATE TABLE labelled_example (
                pos bigserial, id text PRIMARY KEY, document_type text NOT NULL, record jsonb NOT NULL)
            """,
            """
            CREATE TABLE job (
                pos bigserial, id text PRIMARY KEY, kind text NOT NULL, subject text NOT NULL,
                status text NOT NULL CHECK (status IN (\(JobStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")))),
                run_after double precision NOT NULL, lease_until double precision, created_at double precision NOT NULL,
                record jsonb NOT NULL)
            """,
            "CREATE INDEX job_due ON job (status, run_after, pos)",
            "CREATE INDEX job_subject ON job (subject, created_at, pos)",
            """
            CREATE TABLE audit_entry (
                pos bigserial, seq bigint NOT NULL UNIQUE, target text NOT NULL, record jsonb NOT NULL)
            """,
            "CREATE INDEX audit_entry_target ON audit_entry (target, seq)",
            "CREATE TABLE audit_head (id integer PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, hash text NOT NULL)",
            """
            CREATE FUNCTION centaur_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$
            """,
            "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry FOR EACH ROW EXECUTE FUNCTION centaur_append_only()",
        ]),
        // Documents as bytea rows, not large objects: an upload is at most tens of megabytes, written once and read
        // whole; a row shares the database's transactions, backups and replication, where a large object needs its
        // own clean-up (lo_unlink, vacuumlo) and cannot be read with a plain SELECT.
        ("0002-create-blob", [
            "CREATE TABLE blob (sha256 text PRIMARY KEY, data bytea NOT NULL, size bigint NOT NULL, created_at double precision NOT NULL)",
        ]),
        // `/api/traces?tag=NAME:VALUE` reads `tags @> {"NAME": "VALUE"}`, which this index answers; and the status
        // filter with time order.
        ("0003-trace-filter-indexes", [
            "CREATE INDEX trace_tags ON trace USING gin (tags jsonb_path_ops)",
            "CREATE INDEX trace_status ON trace (status, started_at DESC)",
        ]),
        // Budgets shared by replicas: one row per subject (this month's spend and its two token buckets), locked for
        // each decision, and the holds of requests not yet settled.
        ("0004-create-budgets", [
            """
            CREATE TABLE budget_subject (
                subject text PRIMARY KEY, month text NOT NULL, spent_micro bigint NOT NULL DEFAULT 0 CHECK (spent_micro >= 0),
                requests_level double precision, requests_updated double precision,
                tokens_level double precision, tokens_updated double precision)
            """,
            """
            CREATE TABLE budget_hold (
                id text NOT NULL, subject text NOT NULL, micro bigint NOT NULL CHECK (micro >= 0),
                expires_at double precision NOT NULL, PRIMARY KEY (id, subject))
            """,
            "CREATE INDEX budget_hold_subject ON budget_hold (subject, expires_at)",
        ]),
        // The budget arithmetic (BudgetMath) as functions in the database: a decision holds its subjects' row locks for
        // one statement rather than for several round trips, so concurrent requests of one key queue for microseconds.
        // Limits travel as arrays, 0 (RPM, TPM) or -1 (cap) meaning none. A refusal is one row; admitted is none.
        ("0005-budget-functions", [
            // A token bucket refilled at `p_per_minute` a minute up to that many: a missing bucket is full.
            """
            CREATE FUNCTION centaur_budget_refill(p_level double precision, p_updated double precision, p_per_minute bigint,
                p_now double precision, OUT level double precision, OUT updated double precision)
            LANGUAGE sql IMMUTABLE AS $$
                SELECT CASE WHEN p_level IS NULL THEN p_per_minute::float8
                            ELSE least(p_per_minute::float8, p_level + greatest(0, p_now - p_updated) * p_per_minute / 60.0) END,
                       CASE WHEN p_level IS NULL THEN p_now ELSE greatest(p_now, p_updated) END
            $$
            """,
            """
            CREATE FUNCTION centaur_budget_reserve(p_subjects text[], p_rpm bigint[], p_tpm bigint[], p_cap bigint[], p_micro bigint,
                p_id text, p_now double precision, p_month text, p_expires double precision, p_next_month double precision)
            RETURNS TABLE (subject text, limit_kind text, limit_value bigint, retry_after double precision)
            LANGUAGE plpgsql AS $$
            DECLARE
                n int := coalesce(array_length(p_subjects, 1), 0);
                st budget_subject%ROWTYPE;
                states budget_subject[] := '{}';
                need bigint := greatest(p_micro, 1);
                held bigint;
                lvl double precision;
                upd double precision;
            BEGIN
                INSERT INTO budget_subject AS b (subject, month) SELECT unnest(p_subjects), p_month ON CONFLICT DO NOTHING;
                PERFORM 1 FROM budget_subject b WHERE b.subject = ANY(p_subjects) ORDER BY b.subject FOR UPDATE;
                FOR i IN 1..n LOOP
                    SELECT * INTO st FROM budget_subject b WHERE b.subject = p_subjects[i];
                    IF st.month <> p_month THEN st.month := p_month; st.spent_micro := 0; END IF;
                    IF p_cap[i] >= 0 THEN
                        SELECT coalesce(sum(h.micro), 0) INTO held FROM budget_hold h WHERE h.subject = p_subjects[i] AND h.expires_at > p_now;
                        IF st.spent_micro + held + need > p_cap[i] THEN
                            RETURN QUERY SELECT p_subjects[i], 'spend'::text, p_cap[i],
                                CASE WHEN st.spent_micro + need <= p_cap[i] THEN 1.0::float8 ELSE greatest(1, ceil(p_next_month - p_now)) END;
                            RETURN;
                        END IF;
                    END IF;
                    IF p_rpm[i] > 0 THEN
                        SELECT r.level, r.updated INTO lvl, upd FROM centaur_budget_refill(st.requests_level, st.requests_updated, p_rpm[i], p_now) r;
                        IF lvl < 1 THEN
                            RETURN QUERY SELECT p_subjects[i], 'rpm'::text, p_rpm[i], greatest(1, ceil((1 - lvl) * 60 / p_rpm[i]));
                            RETURN;
                        END IF;
                        st.requests_level := lvl - 1; st.requests_updated := upd;
                    END IF;
                    IF p_tpm[i] > 0 THEN
                        SELECT r.level, r.updated INTO lvl, upd FROM centaur_budget_refill(st.tokens_level, st.tokens_updated, p_tpm[i], p_now) r;
                        IF lvl <= 0 THEN
                            RETURN QUERY SELECT p_subjects[i], 'tpm'::text, p_tpm[i], greatest(1, ceil((1 - lvl) * 60 / p_tpm[i]));
                            RETURN;
                        END IF;
                        st.tokens_level := lvl; st.tokens_updated := upd;
                    END IF;
                    states := states || st;
                END LOOP;
                -- Every subject admits the request: write all the changes at once.
                FOR i IN 1..n LOOP
                    UPDATE budget_subject b SET month = states[i].month, spent_micro = states[i].spent_micro,
                        requests_level = states[i].requests_level, requests_updated = states[i].requests_updated,
                        tokens_level = states[i].tokens_level, tokens_updated = states[i].tokens_updated
                    WHERE b.subject = states[i].subject;
                END LOOP;
                INSERT INTO budget_hold (id, subject, micro, expires_at) SELECT p_id, unnest(p_subjects), p_micro, p_expires;
                RETURN;
            END $$
            """,
            """
            CREATE FUNCTION centaur_budget_settle(p_id text, p_subjects text[], p_tpm bigint[], p_tokens bigint, p_micro bigint,
                p_now double precision, p_month text)
            RETURNS boolean
            LANGUAGE plpgsql AS $$
            DECLARE
                n int := coalesce(array_length(p_subjects, 1), 0);
                st budget_subject%ROWTYPE;
                lvl double precision;
                upd double precision;
            BEGIN
                -- The hold's rows are the proof it has not been counted: settling again finds none and changes nothing.
                DELETE FROM budget_hold h WHERE h.id = p_id;
                IF NOT FOUND THEN RETURN false; END IF;
                INSERT INTO budget_subject AS b (subject, month) SELECT unnest(p_subjects), p_month ON CONFLICT DO NOTHING;
                PERFORM 1 FROM budget_subject b WHERE b.subject = ANY(p_subjects) ORDER BY b.subject FOR UPDATE;
                FOR i IN 1..n LOOP
                    SELECT * INTO st FROM budget_subject b WHERE b.subject = p_subjects[i];
                    IF st.month <> p_month THEN st.month := p_month; st.spent_micro := 0; END IF;
                    IF p_tpm[i] > 0 THEN
                        SELECT r.level, r.updated INTO lvl, upd FROM centaur_budget_refill(st.tokens_level, st.tokens_updated, p_tpm[i], p_now) r;
                        st.tokens_level := lvl - p_tokens; st.tokens_updated := upd;
                    END IF;
                    UPDATE budget_subject b SET month = st.month, spent_micro = st.spent_micro + greatest(p_micro, 0),
                        tokens_level = st.tokens_level, tokens_updated = st.tokens_updated
                    WHERE b.subject = p_subjects[i];
                END LOOP;
                -- Holds of requests that never settled, a day after they lapsed.
                DELETE FROM budget_hold h WHERE h.subject = ANY(p_subjects) AND h.expires_at < p_now - 86400;
                RETURN true;
            END $$
            """,
        ]),
        // Fair claims (JobTurns): each job's tenant and turn as columns. Claims read the unfinished jobs in turn order
        // and enqueuing reads a lane's highest turn, both from partial indexes that leave the done jobs out (a queue's
        // table is mostly done jobs). Jobs already queued keep turn 0, ahead of new ones.
        ("0006-fair-jobs", [
            "ALTER TABLE job ADD COLUMN tenant text NOT NULL DEFAULT '', ADD COLUMN turn bigint NOT NULL DEFAULT 0",
            "CREATE INDEX job_fair ON job (turn, run_after, pos) WHERE status IN ('queued', 'running')",
            "CREATE INDEX job_lane ON job (kind, tenant, turn) WHERE status IN ('queued', 'running')",
            "DROP INDEX job_due",
        ]),
        // Traces partitioned by month of `started_at` (seconds since 1970, UTC months), so retention drops a month's
        // table whole instead of deleting its rows one by one, and a time-bounded query reads only its months. Rows
        // outside the prepared months land in `trace_default`; `centaur_trace_partitions` prepares months ahead
        // (moving any of their rows out of the default) and `centaur_trace_purge` applies retention. The key becomes
        // (id, started_at): a partitioned table's unique keys must hold its partition key, and a trace's id and start
        // never change, so inserting a stored trace again is still a no-op.
        ("0007-trace-partitions", [
            "ALTER TABLE trace RENAME TO trace_unpartitioned",
            "ALTER TABLE trace_unpartitioned RENAME CONSTRAINT trace_pkey TO trace_unpartitioned_pkey",
            "DROP INDEX trace_started, trace_request, trace_model, trace_key, trace_tags, trace_status",
            "ALTER SEQUENCE trace_pos_seq OWNED BY NONE",
            """
            CREATE TABLE trace (
                pos bigint NOT NULL DEFAULT nextval('trace_pos_seq'), id text NOT NULL, request_id text NOT NULL,
                started_at double precision NOT NULL, key_id text, team text, route text NOT NULL, model text NOT NULL,
                status text NOT NULL CHECK (status IN (\(TraceStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")))),
                input_tokens bigint NOT NULL, output_tokens bigint NOT NULL, cache_read_tokens bigint NOT NULL,
                cache_write_tokens bigint NOT NULL, cost_usd double precision, tags jsonb NOT NULL, record jsonb NOT NULL,
                PRIMARY KEY (id, started_at))
            PARTITION BY RANGE (started_at)
            """,
            "CREATE TABLE trace_default PARTITION OF trace DEFAULT",
            "CREATE INDEX trace_started ON trace (started_at DESC, id DESC)",
            "CREATE INDEX trace_request ON trace (request_id)",
            "CREATE INDEX trace_model ON trace (model, started_at DESC)",
            "CREATE INDEX trace_key ON trace (key_id, started_at DESC)",
            "CREATE INDEX trace_tags ON trace USING gin (tags jsonb_path_ops)",
            "CREATE INDEX trace_status ON trace (status, started_at DESC)",
            "INSERT INTO trace SELECT * FROM trace_unpartitioned ORDER BY pos",
            "DROP TABLE trace_unpartitioned",
            "ALTER SEQUENCE trace_pos_seq OWNED BY trace.pos",
            // Month partitions from the month of `p_now` to `p_ahead` months after it; returns the end of the last
            // one. Replicas take turns (a transaction lock per schema); a month that exists is left alone.
            """
            CREATE FUNCTION centaur_trace_partitions(p_now double precision, p_ahead int) RETURNS double precision
            LANGUAGE plpgsql AS $$
            DECLARE
                first_month timestamp := date_trunc('month', to_timestamp(p_now) AT TIME ZONE 'UTC');
                m timestamp;
                lo double precision;
                hi double precision;
                part text;
            BEGIN
                PERFORM pg_advisory_xact_lock(hashtext('centaur-trace-partitions:' || current_schema()));
                FOR i IN 0..greatest(p_ahead, 0) LOOP
                    m := first_month + make_interval(months => i);
                    lo := extract(epoch FROM m AT TIME ZONE 'UTC');
                    hi := extract(epoch FROM (m + interval '1 month') AT TIME ZONE 'UTC');
                    part := 'trace_' || to_char(m, 'YYYY"m"MM');
                    IF to_regclass(part) IS NULL THEN
                        EXECUTE format('CREATE TABLE %I (LIKE trace INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
                        EXECUTE format('WITH moved AS (DELETE FROM trace_default WHERE started_at >= %s AND started_at < %s RETURNING *) '
                                       'INSERT INTO %I SELECT * FROM moved', lo, hi, part);
                        EXECUTE format('ALTER TABLE trace ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', part, lo, hi);
                    END IF;
                END LOOP;
                RETURN hi;
            END $$
            """,
            // Retention: drops every month partition that ends at or before `p_cutoff`, then deletes the older rows left
            // in the month that straddles it and in the default partition. Returns how many traces went.
            """
            CREATE FUNCTION centaur_trace_purge(p_cutoff double precision) RETURNS bigint
            LANGUAGE plpgsql AS $$
            DECLARE
                part record;
                hi double precision;
                n bigint;
                total bigint := 0;
            BEGIN
                PERFORM pg_advisory_xact_lock(hashtext('centaur-trace-partitions:' || current_schema()));
                FOR part IN
                    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = to_regclass('trace') AND c.relname ~ '^trace_[0-9]{4}m[0-9]{2}$'
                LOOP
                    hi := extract(epoch FROM (to_date(substr(part.relname, 7), 'YYYY"m"MM')::timestamp + interval '1 month') AT TIME ZONE 'UTC');
                    IF hi <= p_cutoff THEN
                        EXECUTE format('SELECT count(*) FROM %I', part.relname) INTO n;
                        EXECUTE format('DROP TABLE %I', part.relname);
                        total := total + n;
                    END IF;
                END LOOP;
                DELETE FROM trace WHERE started_at < p_cutoff;
                GET DIAGNOSTICS n = ROW_COUNT;
                RETURN total + n;
            END $$
            """,
        ]),
        // Retrieval indexes shared by replicas: each index whole, with a generation drawn from one sequence on every
        // write (so a name dropped and created again never repeats a generation a replica may hold).
        ("0008-create-retrieval-index", [
            """
            CREATE TABLE retrieval_index (name text PRIMARY KEY, generation bigint NOT NULL, data bytea NOT NULL, size bigint NOT NULL,
                                          updated_at double precision NOT NULL)
            """,
            "CREATE SEQUENCE retrieval_index_generation",
        ]),
    ]

    /// The migration lock (`pg_advisory_xact_lock`) is keyed by the schema: replicas on one schema take turns,
    /// stores on different schemas (tests) do not wait for each other.

    /// Applies the migrations not yet applied, in order, up to and including `last` (all when nil; tests stop early
    /// to check what a later migration does to rows an earlier schema held).
    static func migrate(_ client: PostgresClient, schema: String, logger: Logger, through last: String? = nil) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("centaur-migrate:" + schema)))", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL search_path TO \(schema)"), logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS centaur_migration (pos bigserial, name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: logger)
            var applied: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM centaur_migration", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            let wanted = last.flatMap { name in migrations.firstIndex { $0.name == name } }.map { migrations[...$0] } ?? migrations[...]
            for migration in wanted where !applied.contains(migration.name) {
                for statement in migration.sql { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO centaur_migration (name) VALUES (\(migration.name))", logger: logger)
            }
        }
    }
}
