-- Pluralist schema version 3 (PostgreSQL): per-study DIVE questions and categories (JSON lists; empty = the defaults).

ALTER TABLE studies ADD COLUMN likert_questions text NOT NULL DEFAULT '[]';
ALTER TABLE studies ADD COLUMN likert_categories text NOT NULL DEFAULT '[]';
