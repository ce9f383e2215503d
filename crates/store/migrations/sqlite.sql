-- Quell registry schema, version 1 (SQLite).
-- Ids are random 63-bit integers issued by the application. Sequence numbers are assigned
-- under the store's write lock, so they follow commit order.
CREATE TABLE cases (
    id           INTEGER PRIMARY KEY,
    secret_hash  TEXT    NOT NULL,
    opened_at    INTEGER NOT NULL,
    withdrawn_at INTEGER
);
CREATE TABLE entries (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    kind       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    quality    INTEGER,
    state      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX entries_by_case ON entries(case_id);
-- The sync feed. Upserts carry their hash so that a sync page is one range scan with no join;
-- when an entry is withdrawn or quarantined its upsert rows are deleted (the tombstone that
-- follows reaches every member whose cursor is before it), so the feed never hands a withdrawn
-- hash to a member that starts syncing later. Sequence numbers only grow.
CREATE TABLE changes (
    seq      INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES entries(id),
    op       TEXT    NOT NULL,
    kind     TEXT    NOT NULL,
    value    TEXT,
    quality  INTEGER,
    at       INTEGER NOT NULL
);
CREATE INDEX changes_by_entry ON changes(entry_id);
-- The newest change number ever issued. Kept apart from the table because the newest upsert
-- row may be deleted, and a number must never be issued twice.
CREATE TABLE change_counter (
    last INTEGER NOT NULL
);
INSERT INTO change_counter (last) VALUES (0);
CREATE TABLE members (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    scopes     TEXT    NOT NULL,
    disabled   INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    secret_hash TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE TABLE outcomes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id    INTEGER NOT NULL REFERENCES entries(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    outcome     TEXT    NOT NULL,
    reported_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX outcomes_by_entry ON outcomes(entry_id);
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
