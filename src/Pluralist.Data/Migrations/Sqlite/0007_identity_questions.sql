-- Pluralist schema version 7 (SQLite): researcher-defined identity questions (JSON list; empty = the study's
-- markers resolve to the LIVS preset or free text) and the audited coding table of free-text answers.

ALTER TABLE studies ADD COLUMN identity_questions TEXT NOT NULL DEFAULT '[]';

CREATE TABLE identity_codings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    question_key TEXT NOT NULL,
    answer TEXT NOT NULL,
    code TEXT NOT NULL,
    coded_by TEXT NOT NULL,
    coded_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_identity_codings_study_id_question_key_answer ON identity_codings (study_id, question_key, answer);
