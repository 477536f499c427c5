-- Pluralist schema version 14 (PostgreSQL): how many assignments each pair has (issue 24). Handing out a new assignment
-- reads the batch's pairs with these numbers; counting each pair's assignments instead read every assignment of every
-- candidate pair, so that read grew with the study. The triggers keep the number in the same transaction as every
-- insert or delete of an assignment (and a change of its pair), whoever writes it: any app instance, a withdrawal
-- (also through the cascade of a deleted participant), a bundle import, the CLI, plain SQL. The app never writes the
-- column. Concurrent writers of one pair wait for each other's row lock on the pair until commit; a delete that
-- touches several pairs (a withdrawal) locks them in id order first, so two such statements cannot deadlock.

-- No assignment is written between the count and the triggers (app instances still on version 13 wait here).
LOCK TABLE assignments IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE pairs ADD COLUMN assignment_count integer NOT NULL DEFAULT 0;

UPDATE pairs p SET assignment_count = c.n
FROM (SELECT pair_id, count(*)::integer AS n FROM assignments GROUP BY pair_id) c
WHERE p.id = c.pair_id;

-- Per row: the app inserts assignments one row per statement (a hand-out, an import's prepared insert), so this is one
-- update by key, the cheapest on the hot path.
CREATE FUNCTION assignments_inserted_pair_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pairs SET assignment_count = assignment_count + 1 WHERE id = NEW.pair_id;
    RETURN NULL;
END
$$;

-- Per statement: a withdrawal deletes all of a participant's assignments in one statement; the pairs are locked in id
-- order before any is changed, so concurrent withdrawals that share pairs cannot deadlock.
CREATE FUNCTION assignments_deleted_pair_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM pairs WHERE id IN (SELECT pair_id FROM old_rows) ORDER BY id FOR NO KEY UPDATE;
    UPDATE pairs p SET assignment_count = p.assignment_count - c.n
    FROM (SELECT pair_id, count(*)::integer AS n FROM old_rows GROUP BY pair_id) c
    WHERE p.id = c.pair_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION assignments_moved_pair_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM pairs WHERE id IN (OLD.pair_id, NEW.pair_id) ORDER BY id FOR NO KEY UPDATE;
    UPDATE pairs SET assignment_count = assignment_count - 1 WHERE id = OLD.pair_id;
    UPDATE pairs SET assignment_count = assignment_count + 1 WHERE id = NEW.pair_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER tr_assignments_insert_pair_count AFTER INSERT ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_inserted_pair_count();
CREATE TRIGGER tr_assignments_delete_pair_count AFTER DELETE ON assignments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION assignments_deleted_pair_count();
CREATE TRIGGER tr_assignments_update_pair_count AFTER UPDATE OF pair_id ON assignments
    FOR EACH ROW WHEN (OLD.pair_id IS DISTINCT FROM NEW.pair_id) EXECUTE FUNCTION assignments_moved_pair_count();
