-- The ledger: append-only transfers in integer fen, grouped in sets that
-- each sum to zero. A set is one business event; its event_key is unique,
-- so that a retried or replayed event never posts twice. Rows are only
-- inserted, never updated or deleted (a mistake is reversed by a new set).
CREATE TABLE ledger_sets (
  id TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  event_key TEXT NOT NULL UNIQUE,
  order_id TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  refund_id TEXT NOT NULL,
  line_no INTEGER NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX ledger_sets_order ON ledger_sets(order_id);

CREATE TABLE ledger_transfers (
  set_id TEXT NOT NULL REFERENCES ledger_sets(id),
  n INTEGER NOT NULL,
  account TEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  order_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (set_id, n)
);
CREATE INDEX ledger_transfers_order ON ledger_transfers(order_id, at, set_id, n);
CREATE INDEX ledger_transfers_account ON ledger_transfers(account);
CREATE INDEX orders_picked_up ON orders(city_id, status, picked_up_at);
