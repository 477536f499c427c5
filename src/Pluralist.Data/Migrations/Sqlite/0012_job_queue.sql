-- Pluralist schema version 12 (SQLite): background jobs in the database (issue 24). Every app instance works off this
-- one queue (reports, offline rater runs, image jobs): a worker claims a queued job in an immediate transaction (one
-- writer at a time), holds it with a lease that its heartbeat renews, and records progress, result or error here, so
-- that any instance shows any job. A job whose lease ran out (its instance died) is claimed again.
-- state: 0 queued, 1 running, 2 succeeded, 3 failed, 4 cancelled. Times are unix milliseconds.

CREATE TABLE jobs (
    id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    study_id INTEGER NULL REFERENCES studies (id) ON DELETE CASCADE,
    requested_by INTEGER NULL REFERENCES participants (id) ON DELETE SET NULL,
    arguments TEXT NOT NULL DEFAULT '{}',
    exclusive_key TEXT NULL,
    state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2, 3, 4)),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_after INTEGER NOT NULL,
    claimed_by TEXT NULL,
    lease_until INTEGER NULL,
    progress REAL NOT NULL DEFAULT 0,
    progress_message TEXT NULL,
    progress_detail TEXT NULL,
    result TEXT NULL,
    error TEXT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER NULL,
    heartbeat_at INTEGER NULL,
    finished_at INTEGER NULL
);
-- What a worker looks for: queued jobs due now, and running ones whose lease ran out.
CREATE INDEX ix_jobs_state_run_after ON jobs (state, run_after);
CREATE INDEX ix_jobs_study_id_kind ON jobs (study_id, kind);
-- At most one queued or running job per exclusive key (one report per study at a time).
CREATE UNIQUE INDEX ix_jobs_exclusive_key ON jobs (exclusive_key) WHERE exclusive_key IS NOT NULL AND state IN (0, 1);
