-- The status page: incidents and scheduled maintenance, their updates
-- (each announced once), the probes' per-day counts per component (90 days
-- are shown; a day is one row, never one row per probe), and each node's
-- last write probe. Only additions.
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('incident', 'maintenance')),
  name TEXT NOT NULL,
  impact TEXT NOT NULL CHECK (impact IN ('none', 'minor', 'major', 'critical', 'maintenance')),
  status TEXT NOT NULL,
  components TEXT NOT NULL,
  auto INTEGER NOT NULL DEFAULT 0,
  starts_at BIGINT NOT NULL DEFAULT 0,
  ends_at BIGINT NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  resolved_at BIGINT NOT NULL DEFAULT 0,
  postmortem TEXT NOT NULL DEFAULT '',
  postmortem_at BIGINT NOT NULL DEFAULT 0
);
-- At most one automatic incident open at a time, across every node: the
-- probes of two nodes that both see an outage join one incident.
CREATE UNIQUE INDEX incidents_auto_open ON incidents(auto) WHERE auto = 1 AND status NOT IN ('resolved', 'completed');
CREATE INDEX incidents_updated ON incidents(updated_at);

CREATE TABLE incident_updates (
  id TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  status TEXT NOT NULL,
  body TEXT NOT NULL,
  eta BIGINT NOT NULL DEFAULT 0,
  cutoff TEXT NOT NULL DEFAULT '',
  delivery TEXT NOT NULL DEFAULT '',
  settlement TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  at BIGINT NOT NULL,
  announced_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX incident_updates_incident ON incident_updates(incident_id, at);
CREATE INDEX incident_updates_unannounced ON incident_updates(at) WHERE announced_at = 0;

CREATE TABLE component_uptime (
  component TEXT NOT NULL,
  day TEXT NOT NULL,
  probes INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  down_seconds INTEGER NOT NULL,
  PRIMARY KEY (component, day)
);

CREATE TABLE status_probes (
  node TEXT PRIMARY KEY,
  at BIGINT NOT NULL
);
