-- Pluralist schema version 5 (SQLite): DIVE-style quotas per identity group and item.

ALTER TABLE studies ADD COLUMN group_quotas TEXT NULL;

CREATE TABLE quota_slots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    item_kind INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    group_key TEXT NOT NULL,
    slot INTEGER NOT NULL,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    reserved_at INTEGER NOT NULL,
    CONSTRAINT ck_quota_slots_slot CHECK (slot >= 1)
);
CREATE UNIQUE INDEX ix_quota_slots_item_kind_item_id_group_key_slot ON quota_slots (item_kind, item_id, group_key, slot);
CREATE UNIQUE INDEX ix_quota_slots_item_kind_item_id_participant_id ON quota_slots (item_kind, item_id, participant_id);
CREATE INDEX ix_quota_slots_study_id ON quota_slots (study_id);
CREATE INDEX ix_quota_slots_participant_id ON quota_slots (participant_id);
