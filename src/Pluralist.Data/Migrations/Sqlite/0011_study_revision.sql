-- Pluralist schema version 11 (SQLite): a revision counter per study (issue 24). The participant app keeps each study
-- (settings, criteria, batches, consent documents) in memory and reads only this number per request; the triggers
-- raise it on every change to those rows, whoever writes them (the console, the CLI, an import, another app instance,
-- plain SQL), so the next request sees the change. An explicit write to the column cannot lower it: the counter
-- always becomes the old value plus one.

ALTER TABLE studies ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- recursive_triggers is off (SQLite's default), so the trigger's own update does not fire it again.
CREATE TRIGGER tr_studies_revision AFTER UPDATE ON studies
BEGIN
    UPDATE studies SET revision = OLD.revision + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER tr_criteria_insert_revision AFTER INSERT ON criteria
BEGIN
    UPDATE studies SET revision = revision + 1 WHERE id = NEW.study_id;
END;
CREATE TRIGGER tr_criteria_update_revision AFTER UPDATE ON criteria
BEGIN
    UPDATE studies SET revision = revision + 1 WHERE id IN (OLD.study_id, NEW.study_id);
END;
CREATE TRIGGER tr_criteria_delete_revision AFTER DELETE ON criteria
BEGIN
    UPDATE studies SET revision = revision + 1 WHERE id = OLD.study_id;
END;

CREATE TRIGGER tr_batches_insert_revision AFTER INSERT ON batches
BEGIN
    UPDATE studies SET revision = revision + 1 WHERE id = NEW.study_id;
END;
CREATE TRIGGER tr_batches_update_revision AFTER UPDATE ON batches
BEGIN
    UPDATE studies SET revision = revision + 1 WHERE id IN (OLD.study_id, NEW.study_id);
END;
CREATE TRIGGER tr_batches_delete_revision AFTER DELETE ON batches
BEGIN
    UPDATE studies SET revision = revision + 1 WHERE id = OLD.study_id;
END;

CREATE TRIGGER tr_consent_documents_insert_revision AFTER INSERT ON consent_documents
BEGIN
    UPDATE studies SET revision = revision + 1 WHERE id = NEW.study_id;
END;
CREATE TRIGGER tr_consent_documents_update_revision AFTER UPDATE ON consent_documents
BEGIN
    UPDATE studies SET revision = revision + 1 WHERE id IN (OLD.study_id, NEW.study_id);
END;
CREATE TRIGGER tr_consent_documents_delete_revision AFTER DELETE ON consent_documents
BEGIN
    UPDATE studies SET revision = revision + 1 WHERE id = OLD.study_id;
END;
