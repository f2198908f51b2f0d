-- The audit log: one row per security event, operator action and money
-- movement. A record is appended in the transaction of what it describes,
-- with seq, prev_hash and hash empty; one sweep under a lease chains the
-- waiting records in order (seq, the previous record's hash, and this
-- record's hash over both and its content). A trigger refuses every other
-- change: a record's content never changes, a chained record never
-- changes, none is deleted, the table is never truncated. Someone who
-- drops the trigger and rewrites a record is still caught by
-- `tuango audit verify`, which recomputes the chain.
CREATE TABLE audit_records (
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL,
  seq BIGINT UNIQUE,
  prev_hash TEXT,
  hash TEXT
);
CREATE INDEX audit_records_unchained ON audit_records(at, id) WHERE seq IS NULL;
CREATE INDEX audit_records_actor ON audit_records(actor_id, seq);
CREATE INDEX audit_records_kind ON audit_records(kind, seq);
CREATE INDEX audit_records_at ON audit_records(at);

CREATE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
     AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor_id = OLD.actor_id AND NEW.actor_role = OLD.actor_role
     AND NEW.source = OLD.source AND NEW.kind = OLD.kind AND NEW.subject = OLD.subject AND NEW.detail = OLD.detail THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only();
