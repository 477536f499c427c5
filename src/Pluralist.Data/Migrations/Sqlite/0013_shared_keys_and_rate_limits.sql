-- Pluralist schema version 13 (SQLite): what several app instances on one database must share (issue 24).
-- data_protection_keys holds ASP.NET Core's key ring (the keys that sign sign-in cookies, antiforgery tokens and
-- protected item ids), one XML element per row, written by the app and never changed; the rows are secrets (see
-- docs/security.md). rate_limit_windows counts attempts (codes, passwords) per key in a fixed window that starts at
-- the key's first attempt (unix milliseconds), so that every instance spends one budget; the key is a SHA-256 digest
-- of the client address or account, never the value itself, and rows whose window ended are deleted by the app.

CREATE TABLE data_protection_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    friendly_name TEXT NOT NULL,
    xml TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ix_data_protection_keys_friendly_name ON data_protection_keys (friendly_name);

CREATE TABLE rate_limit_windows (
    key TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (key)
) WITHOUT ROWID;
CREATE INDEX ix_rate_limit_windows_window_start ON rate_limit_windows (window_start);
