-- Pluralist schema version 6 (SQLite): one answer per assignment and one Likert value per participant,
-- image and question, enforced by unique indexes; every client request id applied to an answer is
-- remembered (applied_requests). Duplicates already stored are not deleted: each extra row (all but
-- the earliest of its group) moves to archived_rows as JSON with its scores and cleaning drops, and
-- each study that had some gets an audit entry with the counts.

CREATE TABLE archived_rows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    schema_version INTEGER NOT NULL,
    source_table TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    kept_id INTEGER NULL,
    participant_id INTEGER NULL REFERENCES participants (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    data TEXT NOT NULL,
    archived_at INTEGER NOT NULL
);
CREATE INDEX ix_archived_rows_participant_id ON archived_rows (participant_id);

INSERT INTO archived_rows (schema_version, source_table, source_id, kept_id, participant_id, reason, data, archived_at)
SELECT 6, 'annotations', a.id, k.kept_id, a.participant_id,
       'another answer to assignment ' || a.assignment_id || ' was stored first (annotation ' || k.kept_id || ', kept)',
       json_object(
           'row', json_object('id', a.id, 'assignment_id', a.assignment_id, 'participant_id', a.participant_id, 'pair_id', a.pair_id,
                              'comment', a.comment, 'client_duration_ms', a.client_duration_ms, 'server_duration_ms', a.server_duration_ms,
                              'client_request_id', a.client_request_id, 'language', a.language, 'submitted_at', a.submitted_at),
           'scores', json((SELECT json_group_array(json_object('id', s.id, 'annotation_id', s.annotation_id, 'criterion_key', s.criterion_key,
                                                               'position', s.position, 'score', s.score))
                           FROM annotation_scores s WHERE s.annotation_id = a.id)),
           'cleaning_drops', json((SELECT json_group_array(json_object('id', d.id, 'run_id', d.run_id, 'answer_id', d.answer_id,
                                                                       'rule', d.rule, 'reason_code', d.reason_code))
                                   FROM cleaning_drops d JOIN annotation_scores s ON s.id = d.answer_id WHERE s.annotation_id = a.id))),
       CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM annotations a
JOIN (SELECT assignment_id, MIN(id) AS kept_id FROM annotations GROUP BY assignment_id HAVING COUNT(*) > 1) k
  ON k.assignment_id = a.assignment_id
WHERE a.id <> k.kept_id;

INSERT INTO archived_rows (schema_version, source_table, source_id, kept_id, participant_id, reason, data, archived_at)
SELECT 6, 'likert_ratings', r.id, k.kept_id, r.participant_id,
       'another value for image ' || r.image_id || ' and question ' || r.question_key || ' was stored first (rating ' || k.kept_id || ', kept)',
       json_object(
           'row', json_object('id', r.id, 'participant_id', r.participant_id, 'image_id', r.image_id, 'served_at', r.served_at,
                              'question_key', r.question_key, 'value', r.value, 'selected_categories', r.selected_categories,
                              'client_request_id', r.client_request_id, 'client_duration_ms', r.client_duration_ms,
                              'server_duration_ms', r.server_duration_ms, 'language', r.language, 'submitted_at', r.submitted_at)),
       CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM likert_ratings r
JOIN (SELECT participant_id, image_id, question_key, MIN(id) AS kept_id FROM likert_ratings
      GROUP BY participant_id, image_id, question_key HAVING COUNT(*) > 1) k
  ON k.participant_id = r.participant_id AND k.image_id = r.image_id AND k.question_key = r.question_key
WHERE r.id <> k.kept_id;

INSERT INTO audit_entries (actor_participant_id, study_id, action, details, at)
SELECT NULL, d.study_id, 'schema.archive-duplicates',
       json_object('schemaVersion', 6, 'table', 'archived_rows',
                   'annotations', SUM(CASE WHEN d.source_table = 'annotations' THEN 1 ELSE 0 END),
                   'likertRatings', SUM(CASE WHEN d.source_table = 'likert_ratings' THEN 1 ELSE 0 END)),
       CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM (SELECT p.study_id, x.source_table FROM archived_rows x
        JOIN annotations a ON a.id = x.source_id JOIN pairs p ON p.id = a.pair_id
        WHERE x.schema_version = 6 AND x.source_table = 'annotations'
      UNION ALL
      SELECT i.study_id, x.source_table FROM archived_rows x
        JOIN likert_ratings r ON r.id = x.source_id JOIN images i ON i.id = r.image_id
        WHERE x.schema_version = 6 AND x.source_table = 'likert_ratings') d
GROUP BY d.study_id;

-- Scores and cleaning drops of the archived answers go by cascade (their copies are in archived_rows).
DELETE FROM annotations WHERE id IN (SELECT source_id FROM archived_rows WHERE schema_version = 6 AND source_table = 'annotations');
DELETE FROM likert_ratings WHERE id IN (SELECT source_id FROM archived_rows WHERE schema_version = 6 AND source_table = 'likert_ratings');

DROP INDEX ix_annotations_assignment_id;
CREATE UNIQUE INDEX ix_annotations_assignment_id ON annotations (assignment_id);
CREATE UNIQUE INDEX ix_likert_ratings_participant_id_image_id_question_key ON likert_ratings (participant_id, image_id, question_key);

CREATE TABLE applied_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    kind INTEGER NOT NULL,
    client_request_id TEXT NOT NULL,
    assignment_id INTEGER NULL REFERENCES assignments (id) ON DELETE CASCADE,
    image_id INTEGER NULL REFERENCES images (id) ON DELETE CASCADE,
    applied_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_applied_requests_participant_id_kind_client_request_id ON applied_requests (participant_id, kind, client_request_id);
CREATE INDEX ix_applied_requests_assignment_id ON applied_requests (assignment_id);
CREATE INDEX ix_applied_requests_image_id ON applied_requests (image_id);

-- The request ids of the answers kept (a first answer's id stays on its row; a rating's rows are
-- keyed {request id}/{question}) were applied.
INSERT INTO applied_requests (participant_id, kind, client_request_id, assignment_id, image_id, applied_at)
SELECT participant_id, 0, client_request_id, assignment_id, NULL, submitted_at FROM annotations;

INSERT INTO applied_requests (participant_id, kind, client_request_id, assignment_id, image_id, applied_at)
SELECT participant_id, 1, request_id, NULL, MIN(image_id), MIN(submitted_at)
FROM (SELECT participant_id, image_id, submitted_at,
             CASE WHEN instr(client_request_id, '/') > 0
                  THEN substr(client_request_id, 1, instr(client_request_id, '/') - 1)
                  ELSE client_request_id END AS request_id
      FROM likert_ratings)
GROUP BY participant_id, request_id;
