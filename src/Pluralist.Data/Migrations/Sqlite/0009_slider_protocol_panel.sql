-- Pluralist schema version 9 (SQLite): the slider resolution each answer was given at (NULL: not recorded, before
-- this version), the study's protocol text and contact, recruitment-panel settings, and one row per participant who
-- entered through a panel (unique per study and panel id, so a second entry resumes).

ALTER TABLE annotations ADD COLUMN slider_steps INTEGER NULL CHECK (slider_steps IS NULL OR slider_steps >= 0);

ALTER TABLE studies ADD COLUMN protocol TEXT NOT NULL DEFAULT '{}';
ALTER TABLE studies ADD COLUMN contact TEXT NOT NULL DEFAULT '';
ALTER TABLE studies ADD COLUMN panel TEXT NULL;

CREATE TABLE panel_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    panel_participant_id TEXT NOT NULL,
    ids TEXT NOT NULL,
    first_entered_at INTEGER NOT NULL,
    last_entered_at INTEGER NOT NULL,
    entries INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_panel_entries_study_id_panel_participant_id ON panel_entries (study_id, panel_participant_id);
CREATE UNIQUE INDEX ix_panel_entries_participant_id ON panel_entries (participant_id);
