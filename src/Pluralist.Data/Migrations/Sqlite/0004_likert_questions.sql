-- Pluralist schema version 3 (SQLite): per-study DIVE questions and categories (JSON lists; empty = the defaults).

ALTER TABLE studies ADD COLUMN likert_questions TEXT NOT NULL DEFAULT '[]';
ALTER TABLE studies ADD COLUMN likert_categories TEXT NOT NULL DEFAULT '[]';
