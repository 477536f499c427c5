-- Pluralist schema version 1 (SQLite). Times are UTC unix milliseconds; enums are integers;
-- localized texts, lists and maps are JSON text.

CREATE TABLE studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    task_type INTEGER NOT NULL,
    criteria_per_pair INTEGER NOT NULL,
    slider_steps INTEGER NOT NULL,
    show_prompt INTEGER NOT NULL,
    require_email INTEGER NOT NULL,
    session_cap INTEGER NOT NULL,
    break_minutes INTEGER NOT NULL,
    attention_check_rate REAL NOT NULL,
    gold_rate REAL NOT NULL,
    withdrawal_policy INTEGER NOT NULL,
    min_group_size INTEGER NOT NULL,
    identity_markers TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_studies_key ON studies (key);

CREATE TABLE criteria (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    position INTEGER NOT NULL,
    retired INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_criteria_study_id_key ON criteria (study_id, key);

CREATE TABLE consent_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    published_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_consent_documents_study_id_version_language ON consent_documents (study_id, version, language);

CREATE TABLE batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    opens_at INTEGER NOT NULL,
    closes_at INTEGER NOT NULL,
    quota_per_participant INTEGER NOT NULL,
    session_cap INTEGER NULL,
    break_minutes INTEGER NULL,
    distribution INTEGER NOT NULL,
    overlap INTEGER NOT NULL
);
CREATE INDEX ix_batches_study_id ON batches (study_id);

CREATE TABLE participants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NULL REFERENCES studies (id) ON DELETE RESTRICT,
    pseudonym TEXT NOT NULL,
    email TEXT NULL,
    password_hash TEXT NULL,
    preferred_language TEXT NOT NULL,
    role INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    withdrawn_at INTEGER NULL
);
CREATE UNIQUE INDEX ix_participants_pseudonym ON participants (pseudonym);
CREATE INDEX ix_participants_email ON participants (email);
CREATE INDEX ix_participants_study_id ON participants (study_id);

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NULL REFERENCES studies (id) ON DELETE RESTRICT,
    code_hash TEXT NOT NULL,
    email TEXT NULL,
    language TEXT NOT NULL,
    role INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER NULL,
    participant_id INTEGER NULL REFERENCES participants (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX ix_invitations_code_hash ON invitations (code_hash);

CREATE TABLE consent_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    document_version TEXT NOT NULL,
    language TEXT NOT NULL,
    consented_at INTEGER NOT NULL,
    marker_consents TEXT NOT NULL,
    withdrawn_at INTEGER NULL
);
CREATE INDEX ix_consent_records_participant_id ON consent_records (participant_id);

CREATE TABLE identity_answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    marker TEXT NOT NULL,
    value TEXT NULL,
    prefer_not_to_say INTEGER NOT NULL,
    answered_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_identity_answers_participant_id_marker ON identity_answers (participant_id, marker);

CREATE TABLE scenarios (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    typology TEXT NULL,
    amenities TEXT NULL,
    location TEXT NULL
);

CREATE TABLE prompts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    language TEXT NOT NULL,
    source INTEGER NOT NULL,
    parent_prompt_id INTEGER NULL REFERENCES prompts (id) ON DELETE RESTRICT,
    scenario_id INTEGER NULL REFERENCES scenarios (id) ON DELETE SET NULL,
    external_id TEXT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ix_prompts_study_id ON prompts (study_id);

CREATE TABLE images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    prompt_id INTEGER NOT NULL REFERENCES prompts (id) ON DELETE RESTRICT,
    generator TEXT NOT NULL,
    seed INTEGER NULL,
    guidance REAL NULL,
    steps INTEGER NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    content_hash TEXT NULL,
    storage_path TEXT NOT NULL,
    flags INTEGER NOT NULL,
    external_id TEXT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ix_images_prompt_id ON images (prompt_id);
CREATE INDEX ix_images_study_id ON images (study_id);

CREATE TABLE pairs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    batch_id INTEGER NULL REFERENCES batches (id) ON DELETE SET NULL,
    image_0_id INTEGER NOT NULL REFERENCES images (id) ON DELETE RESTRICT,
    image_1_id INTEGER NOT NULL REFERENCES images (id) ON DELETE RESTRICT,
    kind INTEGER NOT NULL,
    expected_preference REAL NULL,
    external_id TEXT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT ck_pairs_distinct_images CHECK (image_0_id <> image_1_id)
);
CREATE INDEX ix_pairs_study_id ON pairs (study_id);

CREATE TABLE assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    pair_id INTEGER NOT NULL REFERENCES pairs (id) ON DELETE RESTRICT,
    batch_id INTEGER NULL REFERENCES batches (id) ON DELETE SET NULL,
    criteria_shown TEXT NOT NULL,
    image_0_on_left INTEGER NOT NULL,
    language TEXT NOT NULL,
    served_at INTEGER NOT NULL
);
CREATE INDEX ix_assignments_participant_id ON assignments (participant_id);
CREATE INDEX ix_assignments_pair_id ON assignments (pair_id);

CREATE TABLE annotations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment_id INTEGER NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    pair_id INTEGER NOT NULL REFERENCES pairs (id) ON DELETE RESTRICT,
    comment TEXT NULL,
    client_duration_ms INTEGER NULL,
    server_duration_ms INTEGER NULL,
    client_request_id TEXT NOT NULL,
    language TEXT NOT NULL,
    submitted_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_annotations_participant_id_client_request_id ON annotations (participant_id, client_request_id);
CREATE INDEX ix_annotations_pair_id ON annotations (pair_id);
CREATE INDEX ix_annotations_assignment_id ON annotations (assignment_id);

CREATE TABLE annotation_scores (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    annotation_id INTEGER NOT NULL REFERENCES annotations (id) ON DELETE CASCADE,
    criterion_key TEXT NOT NULL,
    position INTEGER NOT NULL,
    score REAL NULL,
    CONSTRAINT ck_annotation_scores_range CHECK (score BETWEEN -1 AND 1)
);
CREATE UNIQUE INDEX ix_annotation_scores_annotation_id_criterion_key ON annotation_scores (annotation_id, criterion_key);

CREATE TABLE image_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    assignment_id INTEGER NULL REFERENCES assignments (id) ON DELETE SET NULL,
    reason INTEGER NOT NULL,
    comment TEXT NULL,
    reported_at INTEGER NOT NULL
);
CREATE INDEX ix_image_reports_image_id ON image_reports (image_id);
