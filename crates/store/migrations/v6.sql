-- Schema version 6: no change of tables. Entries may now be filed under `pdq-robust-v6`, a
-- profile older builds cannot parse (they would read such a row as corrupt, and a member
-- syncing through them would fail at it). Raising the version makes an older build refuse
-- the database at start with a clear message instead. The same text for SQLite and PostgreSQL.
UPDATE quell_schema SET version = version WHERE 1 = 0;
