-- The day after the order: delivery states, the order timeline, a city's
-- cutoff, partial refunds. Only additions, so that the release before this
-- one keeps running on this schema during a rolling upgrade.
ALTER TABLE orders ADD COLUMN delivery_date TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN refunded_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN pickup_code TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN confirmed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN shipped_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN arrived_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN picked_up_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN unclaimed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN refunded_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX orders_city_delivery ON orders(city_id, delivery_date, status, created_at, id);
CREATE INDEX orders_point_delivery ON orders(pickup_point_id, delivery_date, status, created_at, id);
-- A pickup code is unique among its point's open orders.
CREATE UNIQUE INDEX orders_pickup_code ON orders(pickup_point_id, pickup_code)
  WHERE pickup_code <> '' AND status IN ('paid', 'confirmed', 'shipped', 'arrived');

ALTER TABLE order_lines ADD COLUMN unit_cost_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN refunded_quantity BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN refunded_fen BIGINT NOT NULL DEFAULT 0;

-- The order timeline: one row per status an order entered after it was
-- placed (the order row itself records the placement), with who moved it
-- and where. The state machine has no cycles, so an order enters each
-- status at most once: the key makes a move recorded twice impossible.
CREATE TABLE order_events (
  order_id TEXT NOT NULL REFERENCES orders(id),
  status TEXT NOT NULL,
  at BIGINT NOT NULL,
  mover TEXT NOT NULL,
  actor_id TEXT NOT NULL DEFAULT '',
  place TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (order_id, status)
);

-- A city's cutoff for a delivery date: started (and the sale closed) once,
-- finished once with its summary.
CREATE TABLE cutoffs (
  city_id TEXT NOT NULL REFERENCES cities(id),
  delivery_date TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  started_by TEXT NOT NULL,
  early BOOLEAN NOT NULL,
  finished_at BIGINT NOT NULL DEFAULT 0,
  confirmed_orders BIGINT NOT NULL DEFAULT 0,
  cancelled_orders BIGINT NOT NULL DEFAULT 0,
  purchase_orders BIGINT NOT NULL DEFAULT 0,
  confirmed_units BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (city_id, delivery_date)
);

-- Where a pickup point stops on its route.
ALTER TABLE pickup_points ADD COLUMN stop_seq BIGINT NOT NULL DEFAULT 0;

-- A payment may now have several partial refunds, each of one order line.
-- They have their own table: the release before this one inserts whole
-- refunds with ON CONFLICT (payment_id), which needs refunds_payment, the
-- one-refund-per-payment index, exactly as it is; partial refunds cannot
-- live beside it. (Folding both into one table is a later release's step,
-- once no node of the old one runs.) A line is short once.
CREATE TABLE partial_refunds (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL REFERENCES payments(id),
  order_id TEXT NOT NULL REFERENCES orders(id),
  line_no BIGINT NOT NULL,
  quantity BIGINT NOT NULL CHECK (quantity > 0),
  amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
  reason TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  completed_at BIGINT NOT NULL DEFAULT 0,
  UNIQUE (order_id, line_no, reason)
);
CREATE INDEX partial_refunds_payment ON partial_refunds(payment_id);
CREATE INDEX partial_refunds_status ON partial_refunds(status);
