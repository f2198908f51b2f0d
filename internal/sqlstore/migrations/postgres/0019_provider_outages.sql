-- Payment provider outages as the nodes saw them. A node whose circuit
-- breaker on a provider is open keeps one open row (ended_at = 0) fresh
-- (seen_at); a node that sees the provider answer again after seen_at ends
-- it. A row nobody refreshes lapses, ending at its seen_at. The expiry sweep
-- extends the payment deadlines of unpaid orders that fall in an outage.
CREATE TABLE provider_outages (
  id TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  seen_at BIGINT NOT NULL,
  ended_at BIGINT NOT NULL DEFAULT 0,
  opened_by TEXT NOT NULL,
  ended_by TEXT NOT NULL DEFAULT ''
);
-- At most one open outage per provider, whichever nodes report it.
CREATE UNIQUE INDEX provider_outages_open ON provider_outages(provider) WHERE ended_at = 0;
CREATE INDEX provider_outages_ended ON provider_outages(provider, ended_at);
