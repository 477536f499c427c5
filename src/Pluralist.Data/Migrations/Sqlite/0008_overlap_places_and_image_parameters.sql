-- Pluralist schema version 8 (SQLite): overlap K enforced by the database, and the generator parameters of images.
-- An assignment of a regular pair
-- (annotation or evaluation) holds one of the pair's numbered rater places (overlap_slot 1..K), unique per
-- pair, so two participants racing for a pair's last place cannot both get it; and one place per participant
-- and pair, so no rater is given the same pair twice. Attention-check and gold assignments, and those made
-- under group quotas (their places are quota_slots), hold none.
-- Assignments already stored are numbered in the order they were made, per pair (a participant's repeat of a
-- pair keeps no place), so the hand-out counts them.

ALTER TABLE assignments ADD COLUMN overlap_slot INTEGER NULL;

UPDATE assignments SET overlap_slot = (
    SELECT n FROM (
        SELECT a.id, ROW_NUMBER() OVER (PARTITION BY a.pair_id ORDER BY a.id) AS n
        FROM assignments a JOIN pairs p ON p.id = a.pair_id
        WHERE p.kind IN (0, 1)
          AND a.id = (SELECT MIN(b.id) FROM assignments b WHERE b.participant_id = a.participant_id AND b.pair_id = a.pair_id)
    ) numbered WHERE numbered.id = assignments.id);

CREATE UNIQUE INDEX ix_assignments_pair_id_overlap_slot ON assignments (pair_id, overlap_slot) WHERE overlap_slot IS NOT NULL;
CREATE UNIQUE INDEX ix_assignments_participant_id_pair_id ON assignments (participant_id, pair_id) WHERE overlap_slot IS NOT NULL;

-- The generator's parameters (a JSON object from the generation manifest) of each image.
ALTER TABLE images ADD COLUMN parameters TEXT NULL;
