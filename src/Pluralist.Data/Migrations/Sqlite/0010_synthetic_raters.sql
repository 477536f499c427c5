-- Pluralist schema version 10 (SQLite): synthetic raters (issue 23). Runs of a language or vision model (or the offline
-- persona rater) over a study, and their answers, stored apart from people's annotations and Likert ratings.

CREATE TABLE synthetic_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    model TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    task INTEGER NOT NULL CHECK (task IN (0, 1)),
    personas TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    finished_at INTEGER NULL,
    calls INTEGER NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX ix_synthetic_runs_study_id_name ON synthetic_runs (study_id, name);

CREATE TABLE synthetic_answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES synthetic_runs (id) ON DELETE CASCADE,
    persona_key TEXT NOT NULL,
    persona TEXT NOT NULL DEFAULT '{}',
    item_key TEXT NOT NULL,
    pair_id INTEGER NULL REFERENCES pairs (id) ON DELETE CASCADE,
    image_id INTEGER NULL REFERENCES images (id) ON DELETE CASCADE,
    criteria_shown TEXT NOT NULL,
    image_0_on_left INTEGER NULL,
    scores TEXT NOT NULL DEFAULT '[]',
    status INTEGER NOT NULL CHECK (status IN (0, 1, 2, 3)),
    error TEXT NULL,
    attempts INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_key TEXT NOT NULL,
    from_cache INTEGER NOT NULL,
    answered_at INTEGER NOT NULL,
    CHECK ((pair_id IS NULL) <> (image_id IS NULL))
);
CREATE UNIQUE INDEX ix_synthetic_answers_run_id_persona_key_item_key ON synthetic_answers (run_id, persona_key, item_key);
CREATE INDEX ix_synthetic_answers_cache_key ON synthetic_answers (cache_key);
CREATE INDEX ix_synthetic_answers_pair_id ON synthetic_answers (pair_id);
CREATE INDEX ix_synthetic_answers_image_id ON synthetic_answers (image_id);
