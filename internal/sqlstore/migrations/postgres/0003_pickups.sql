-- Every pickup verification a leader tries, right or wrong: the log of who
-- verified what, when and where, and the counter of wrong codes per leader
-- that rate-limits guessing (kept in the database, so that every node of a
-- cluster sees the same count).
CREATE TABLE pickup_verifications (
  id TEXT PRIMARY KEY,
  leader_id TEXT NOT NULL,
  pickup_point_id TEXT NOT NULL,
  order_id TEXT NOT NULL DEFAULT '',
  ok BOOLEAN NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX pickup_verifications_leader ON pickup_verifications(leader_id, ok, at);
