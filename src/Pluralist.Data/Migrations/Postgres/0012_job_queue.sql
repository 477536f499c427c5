-- Pluralist schema version 12 (PostgreSQL): background jobs in the database (issue 24). Every app instance works off
-- this one queue (reports, offline rater runs, image jobs): a worker claims a queued job with FOR UPDATE SKIP LOCKED,
-- holds it with a lease that its heartbeat renews, and records progress, result or error here, so that any instance
-- shows any job. A job whose lease ran out (its instance died) is claimed again.
-- state: 0 queued, 1 running, 2 succeeded, 3 failed, 4 cancelled.

CREATE TABLE jobs (
    id text NOT NULL PRIMARY KEY,
    kind text NOT NULL,
    study_id bigint NULL REFERENCES studies (id) ON DELETE CASCADE,
    requested_by bigint NULL REFERENCES participants (id) ON DELETE SET NULL,
    arguments text NOT NULL DEFAULT '{}',
    exclusive_key text NULL,
    state integer NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2, 3, 4)),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL CHECK (max_attempts >= 1),
    run_after timestamptz NOT NULL,
    claimed_by text NULL,
    lease_until timestamptz NULL,
    progress double precision NOT NULL DEFAULT 0,
    progress_message text NULL,
    progress_detail text NULL,
    result text NULL,
    error text NULL,
    created_at timestamptz NOT NULL,
    started_at timestamptz NULL,
    heartbeat_at timestamptz NULL,
    finished_at timestamptz NULL
);
-- What a worker looks for: queued jobs due now, and running ones whose lease ran out.
CREATE INDEX ix_jobs_state_run_after ON jobs (state, run_after);
CREATE INDEX ix_jobs_study_id_kind ON jobs (study_id, kind);
-- At most one queued or running job per exclusive key (one report per study at a time).
CREATE UNIQUE INDEX ix_jobs_exclusive_key ON jobs (exclusive_key) WHERE exclusive_key IS NOT NULL AND state IN (0, 1);
