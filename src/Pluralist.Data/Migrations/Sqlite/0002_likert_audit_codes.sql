-- Pluralist schema version 2 (SQLite): the DIVE Likert task, the audit log and one-time email codes.

CREATE TABLE likert_ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE RESTRICT,
    served_at INTEGER NOT NULL,
    question_key TEXT NOT NULL,
    value INTEGER NOT NULL,
    selected_categories TEXT NOT NULL,
    client_request_id TEXT NOT NULL,
    client_duration_ms INTEGER NULL,
    server_duration_ms INTEGER NULL,
    language TEXT NOT NULL,
    submitted_at INTEGER NOT NULL,
    CONSTRAINT ck_likert_ratings_value CHECK (value BETWEEN 1 AND 5)
);
CREATE UNIQUE INDEX ix_likert_ratings_participant_id_client_request_id ON likert_ratings (participant_id, client_request_id);
CREATE INDEX ix_likert_ratings_image_id ON likert_ratings (image_id);

CREATE TABLE audit_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_participant_id INTEGER NULL REFERENCES participants (id) ON DELETE SET NULL,
    study_id INTEGER NULL REFERENCES studies (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    details TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX ix_audit_entries_at ON audit_entries (at);

CREATE TABLE one_time_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    used_at INTEGER NULL
);
CREATE INDEX ix_one_time_codes_email_purpose ON one_time_codes (email, purpose);
