-- Login limits that hold across nodes: one row per failed guess (kept an
-- hour, then swept), a guard row per phone that serialises the count and
-- the insert of concurrent guesses, and the one-time codes sent by SMS
-- (only their hash), one per phone and purpose.
CREATE TABLE login_failures (
  id TEXT PRIMARY KEY,
  phone TEXT NOT NULL,
  source TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX login_failures_phone ON login_failures(phone, at);
CREATE INDEX login_failures_at ON login_failures(at);

CREATE TABLE login_guards (
  phone TEXT PRIMARY KEY,
  touched_at INTEGER NOT NULL
);

CREATE TABLE auth_codes (
  phone TEXT NOT NULL,
  purpose TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (phone, purpose)
);
