-- Schema version 5: every entry names the file (media) its hash was made from, random and the
-- same for all hashes of one file in one case, so members raise one ticket per photo and the
-- person's status counts photos and videos. Entries from before it have no grouping that was
-- ever sent: their media_id stays NULL, each is read as a file of its own (its entry id), and a
-- case holding one counts no files. The same text for SQLite and PostgreSQL.
ALTER TABLE entries ADD COLUMN media_id BIGINT;
CREATE INDEX entries_by_media ON entries(media_id);
