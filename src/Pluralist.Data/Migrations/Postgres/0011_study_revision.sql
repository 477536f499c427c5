-- Pluralist schema version 11 (PostgreSQL): a revision counter per study (issue 24). The participant app keeps each
-- study (settings, criteria, batches, consent documents) in memory and reads only this number per request; the
-- triggers raise it on every change to those rows, whoever writes them (the console, the CLI, an import, another app
-- instance, plain SQL), so the next request sees the change. An explicit write to the column cannot lower it: the
-- counter always becomes the old value plus one.

ALTER TABLE studies ADD COLUMN revision bigint NOT NULL DEFAULT 0;

CREATE FUNCTION studies_next_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.revision := OLD.revision + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER tr_studies_revision BEFORE UPDATE ON studies
    FOR EACH ROW EXECUTE FUNCTION studies_next_revision();

-- A row of a study's criteria, batches or consent documents changed: raise the revision of its study (both, when it moved).
CREATE FUNCTION study_part_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE studies SET revision = revision + 1 WHERE id = OLD.study_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.study_id <> OLD.study_id) THEN
        UPDATE studies SET revision = revision + 1 WHERE id = NEW.study_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tr_criteria_revision AFTER INSERT OR UPDATE OR DELETE ON criteria
    FOR EACH ROW EXECUTE FUNCTION study_part_changed();
CREATE TRIGGER tr_batches_revision AFTER INSERT OR UPDATE OR DELETE ON batches
    FOR EACH ROW EXECUTE FUNCTION study_part_changed();
CREATE TRIGGER tr_consent_documents_revision AFTER INSERT OR UPDATE OR DELETE ON consent_documents
    FOR EACH ROW EXECUTE FUNCTION study_part_changed();
