-- The block and allow lists: every rule names an address or CIDR, why, who
-- made it (an operator, or a detection scenario for an automatic ban) and
-- until when (0: no end). Removing a rule ends it (expires_at = the
-- moment), so that a source's earlier bans stay countable for doubling;
-- rules that ended long ago are swept. guard_version counts every change,
-- so that each node reloads the lists only when they changed.
CREATE TABLE source_rules (
  id TEXT PRIMARY KEY,
  list TEXT NOT NULL,
  cidr TEXT NOT NULL,
  reason TEXT NOT NULL,
  origin TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX source_rules_cidr ON source_rules(cidr, created_at);
CREATE INDEX source_rules_expires ON source_rules(expires_at);

CREATE TABLE guard_version (
  id INTEGER PRIMARY KEY,
  version INTEGER NOT NULL
);
INSERT INTO guard_version (id, version) VALUES (1, 0);
