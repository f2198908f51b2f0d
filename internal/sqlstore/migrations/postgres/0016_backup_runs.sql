-- Every backup taken and every restore drill run, by whichever node held
-- the sweep's lease: what it did, when, and whether it was good. The last
-- good of each kind is the cluster's backup and drill metric.
CREATE TABLE backup_runs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL, -- 'backup' or 'restore_drill'
  ok INTEGER NOT NULL, -- 1 good, 0 failed
  node TEXT NOT NULL,
  file TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  detail TEXT NOT NULL, -- what was checked, or what failed
  started_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL
);
CREATE INDEX backup_runs_kind ON backup_runs(kind, ok, finished_at);
CREATE INDEX backup_runs_finished ON backup_runs(finished_at);
