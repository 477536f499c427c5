-- Pluralist schema version 14 (SQLite): how many assignments each pair has (issue 24). Handing out a new assignment
-- reads the batch's pairs with these numbers; counting each pair's assignments instead read every assignment of every
-- candidate pair, so that read grew with the study. The triggers keep the number in the same transaction as every
-- insert or delete of an assignment (and a change of its pair), whoever writes it: the app, a withdrawal, a bundle
-- import, the CLI, plain SQL. The app never writes the column. A later migration that rebuilds the assignments table
-- (create, copy, drop, rename) must create these triggers again.

ALTER TABLE pairs ADD COLUMN assignment_count INTEGER NOT NULL DEFAULT 0;

UPDATE pairs SET assignment_count = (SELECT COUNT(*) FROM assignments a WHERE a.pair_id = pairs.id);

CREATE TRIGGER tr_assignments_insert_pair_count AFTER INSERT ON assignments
BEGIN
    UPDATE pairs SET assignment_count = assignment_count + 1 WHERE id = NEW.pair_id;
END;

CREATE TRIGGER tr_assignments_delete_pair_count AFTER DELETE ON assignments
BEGIN
    UPDATE pairs SET assignment_count = assignment_count - 1 WHERE id = OLD.pair_id;
END;

CREATE TRIGGER tr_assignments_update_pair_count AFTER UPDATE OF pair_id ON assignments WHEN OLD.pair_id IS NOT NEW.pair_id
BEGIN
    UPDATE pairs SET assignment_count = assignment_count - 1 WHERE id = OLD.pair_id;
    UPDATE pairs SET assignment_count = assignment_count + 1 WHERE id = NEW.pair_id;
END;
