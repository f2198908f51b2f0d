-- The audit log: one row per security event, operator action and money
-- movement. A record is appended in the transaction of what it describes,
-- with seq, prev_hash and hash empty; one sweep under a lease chains the
-- waiting records in order (seq, the previous record's hash, and this
-- record's hash over both and its content). Triggers refuse every other
-- change: a record's content never changes, a chained record never
-- changes, none is deleted. Someone who drops the triggers and rewrites a
-- record is still caught by `tuango audit verify`, which recomputes the
-- chain.
CREATE TABLE audit_records (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  actor_id TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL,
  seq INTEGER UNIQUE,
  prev_hash TEXT,
  hash TEXT
);
CREATE INDEX audit_records_unchained ON audit_records(at, id) WHERE seq IS NULL;
CREATE INDEX audit_records_actor ON audit_records(actor_id, seq);
CREATE INDEX audit_records_kind ON audit_records(kind, seq);
CREATE INDEX audit_records_at ON audit_records(at);

CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN
  SELECT RAISE(ABORT, 'audit records are append-only: DELETE refused');
END;

CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL OR NEW.hash IS NULL OR NEW.prev_hash IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.actor_id IS NOT OLD.actor_id
  OR NEW.actor_role IS NOT OLD.actor_role OR NEW.source IS NOT OLD.source OR NEW.kind IS NOT OLD.kind
  OR NEW.subject IS NOT OLD.subject OR NEW.detail IS NOT OLD.detail
BEGIN
  SELECT RAISE(ABORT, 'audit records are append-only: only chaining a waiting record is allowed');
END;
