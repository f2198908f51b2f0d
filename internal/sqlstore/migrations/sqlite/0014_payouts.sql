-- Payouts: money leaving the platform for a leader (a withdrawal the
-- leader asked for and an operator approved) or a supplier (a settlement
-- of its payable up to a date). A payout's id is its idempotency key at
-- the payout provider. Status moves forward only: requested → approved
-- (or rejected) → sent → paid or failed; a settlement starts approved.
CREATE TABLE payouts (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('withdrawal', 'settlement')),
  party_id TEXT NOT NULL,
  amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
  status TEXT NOT NULL CHECK (status IN ('requested', 'rejected', 'approved', 'sent', 'paid', 'failed')),
  period_to TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  decided_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  decided_at INTEGER NOT NULL DEFAULT 0,
  sent_at INTEGER NOT NULL DEFAULT 0,
  completed_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX payouts_party ON payouts(kind, party_id, id);
CREATE INDEX payouts_status ON payouts(status, id);
-- A supplier's period is settled once.
CREATE UNIQUE INDEX payouts_settlement ON payouts(party_id, period_to) WHERE kind = 'settlement';

-- The payout sandbox's own records, as a real provider would keep them.
CREATE TABLE sandbox_payouts (
  payout_id TEXT PRIMARY KEY,
  party_id TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('processing', 'paid', 'failed')),
  reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  completed_at INTEGER NOT NULL DEFAULT 0
);
