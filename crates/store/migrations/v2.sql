-- Schema version 2: a PDQ hash may be filed under a hash profile's part ('pdq-robust-v5/cut'),
-- NULL for a plain hash. Members search a filed hash only with the upload hashes its profile
-- sends to that part. The same text for SQLite and PostgreSQL.
ALTER TABLE entries ADD COLUMN filing TEXT;
ALTER TABLE changes ADD COLUMN filing TEXT;
