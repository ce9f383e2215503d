-- Schema version 3: the operator's list of quarantined entries reads them, and when and why
-- each was quarantined, without scanning every entry or the whole audit log. Both indexes are
-- partial, so they hold only quarantined entries and quarantine events. The same text for
-- SQLite and PostgreSQL.
CREATE INDEX entries_quarantined ON entries(id) WHERE state = 'quarantined';
CREATE INDEX audit_quarantines ON audit(subject, seq) WHERE action = 'entry.quarantine';
