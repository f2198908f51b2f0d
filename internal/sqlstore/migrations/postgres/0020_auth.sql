-- Sessions with an idle timeout per role (idle_us, from last_seen_at) as
-- well as the absolute expires_at; sessions from before are ended, since
-- they had no idle timeout and staff ones were too long.
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN idle_us BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;

-- A disabled account cannot sign in; the TOTP second factor's secret and
-- the last time step accepted (a code is good once).
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_step BIGINT NOT NULL DEFAULT 0;

-- Wrong guesses at a one-time code: past a few, the code is void.
ALTER TABLE auth_codes ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- One row per one-time code sent, to limit codes per phone and per
-- address across nodes; swept after a day.
CREATE TABLE auth_code_requests (
  id TEXT PRIMARY KEY,
  phone TEXT NOT NULL,
  source TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX auth_code_requests_phone ON auth_code_requests(phone, at);
CREATE INDEX auth_code_requests_source ON auth_code_requests(source, at);

-- The TOTP recovery codes, only their hash, each good once.
CREATE TABLE recovery_codes (
  user_id TEXT NOT NULL REFERENCES users(id),
  code_hash TEXT NOT NULL,
  used_at BIGINT,
  PRIMARY KEY (user_id, code_hash)
);
