-- Schema version 4: the operator's list of known-benign hashes (files everyone has: a blank
-- frame, a logo), which no case may register. Values are canonical (lowercase hex, or vPDQ's
-- canonical text). The same text for SQLite and PostgreSQL.
CREATE TABLE benign_hashes (
    kind     TEXT   NOT NULL,
    value    TEXT   NOT NULL,
    reason   TEXT   NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (kind, value)
);
