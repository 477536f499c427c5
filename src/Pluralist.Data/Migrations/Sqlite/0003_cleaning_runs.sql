-- Pluralist schema version 3 (SQLite): stored cleaning runs and, per dropped answer, the first rule that dropped it.

CREATE TABLE cleaning_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    rules_version TEXT NOT NULL,
    rules TEXT NOT NULL,
    report TEXT NOT NULL,
    rows_in INTEGER NOT NULL,
    rows_out INTEGER NOT NULL,
    last_answer_id INTEGER NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ix_cleaning_runs_study_id ON cleaning_runs (study_id);

CREATE TABLE cleaning_drops (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES cleaning_runs (id) ON DELETE CASCADE,
    answer_id INTEGER NOT NULL REFERENCES annotation_scores (id) ON DELETE CASCADE,
    rule TEXT NOT NULL,
    reason_code TEXT NOT NULL
);
CREATE UNIQUE INDEX ix_cleaning_drops_run_id_answer_id ON cleaning_drops (run_id, answer_id);
CREATE INDEX ix_cleaning_drops_answer_id ON cleaning_drops (answer_id);
