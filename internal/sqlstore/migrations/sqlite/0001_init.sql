-- Times are INTEGER microseconds since the Unix epoch, UTC.
CREATE TABLE cities (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  cutoff TEXT NOT NULL
);

CREATE TABLE warehouses (
  id TEXT PRIMARY KEY,
  city_id TEXT NOT NULL REFERENCES cities(id),
  kind TEXT NOT NULL CHECK (kind IN ('central', 'grid')),
  name TEXT NOT NULL,
  parent_id TEXT REFERENCES warehouses(id)
);

CREATE TABLE routes (
  id TEXT PRIMARY KEY,
  warehouse_id TEXT NOT NULL REFERENCES warehouses(id),
  name TEXT NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  phone TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  home_pickup_point_id TEXT,
  supplier_id TEXT,
  created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE pickup_points (
  id TEXT PRIMARY KEY,
  city_id TEXT NOT NULL REFERENCES cities(id),
  route_id TEXT REFERENCES routes(id),
  name TEXT NOT NULL,
  address TEXT NOT NULL,
  leader_id TEXT REFERENCES users(id),
  commission_bps INTEGER NOT NULL CHECK (commission_bps >= 0),
  active INTEGER NOT NULL
);
CREATE INDEX pickup_points_city ON pickup_points(city_id);

CREATE TABLE suppliers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  contact TEXT NOT NULL
);

CREATE TABLE products (
  id TEXT PRIMARY KEY,
  supplier_id TEXT NOT NULL REFERENCES suppliers(id),
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  unit TEXT NOT NULL,
  cost_fen INTEGER NOT NULL CHECK (cost_fen >= 0)
);
CREATE INDEX products_supplier ON products(supplier_id);

CREATE TABLE deals (
  id TEXT PRIMARY KEY,
  product_id TEXT NOT NULL REFERENCES products(id),
  city_id TEXT NOT NULL REFERENCES cities(id),
  title TEXT NOT NULL,
  price_fen INTEGER NOT NULL CHECK (price_fen > 0),
  list_price_fen INTEGER NOT NULL,
  stock INTEGER NOT NULL,
  reserved INTEGER NOT NULL DEFAULT 0,
  limit_per_customer INTEGER NOT NULL,
  sale_starts_at INTEGER NOT NULL,
  sale_ends_at INTEGER NOT NULL,
  delivery_date TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (reserved >= 0 AND reserved <= stock)
);
CREATE INDEX deals_city_window ON deals(city_id, sale_ends_at);

CREATE TABLE deal_prices (
  deal_id TEXT NOT NULL REFERENCES deals(id),
  effective_at INTEGER NOT NULL,
  price_fen INTEGER NOT NULL,
  list_price_fen INTEGER NOT NULL
);
CREATE INDEX deal_prices_deal ON deal_prices(deal_id, effective_at);

-- Units of each deal in each customer's live orders, for the limit per customer.
CREATE TABLE customer_deal_units (
  user_id TEXT NOT NULL,
  deal_id TEXT NOT NULL,
  units INTEGER NOT NULL CHECK (units >= 0),
  PRIMARY KEY (user_id, deal_id)
);

CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  pickup_point_id TEXT NOT NULL REFERENCES pickup_points(id),
  city_id TEXT NOT NULL,
  status TEXT NOT NULL,
  total_fen INTEGER NOT NULL CHECK (total_fen > 0),
  idempotency_key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  paid_at INTEGER NOT NULL DEFAULT 0,
  cancelled_at INTEGER NOT NULL DEFAULT 0,
  cancel_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX orders_user ON orders(user_id, created_at);
CREATE INDEX orders_status_expiry ON orders(status, expires_at);

CREATE TABLE order_lines (
  order_id TEXT NOT NULL REFERENCES orders(id),
  line_no INTEGER NOT NULL,
  deal_id TEXT NOT NULL REFERENCES deals(id),
  title TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_fen INTEGER NOT NULL,
  amount_fen INTEGER NOT NULL,
  commission_bps INTEGER NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_deal ON order_lines(deal_id);

CREATE TABLE payments (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders(id),
  user_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
  status TEXT NOT NULL,
  provider_txn_id TEXT NOT NULL DEFAULT '',
  pay_url TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  succeeded_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX payments_order ON payments(order_id);
CREATE INDEX payments_status ON payments(status, created_at);

CREATE TABLE provider_events (
  provider TEXT NOT NULL,
  event_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (provider, event_id)
);

CREATE TABLE refunds (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL REFERENCES payments(id),
  order_id TEXT NOT NULL REFERENCES orders(id),
  amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
  reason TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  completed_at INTEGER NOT NULL DEFAULT 0
);
-- One refund per payment: a payment is only ever refunded whole, once.
CREATE UNIQUE INDEX refunds_payment ON refunds(payment_id);
CREATE INDEX refunds_status ON refunds(status);

CREATE TABLE idempotency_records (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  status INTEGER NOT NULL,
  body BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_created ON idempotency_records(created_at);

CREATE TABLE job_leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  lease_until INTEGER NOT NULL
);

CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- The sandbox payment provider's own records: in a real deployment these
-- live at the provider, not here.
CREATE TABLE sandbox_payments (
  payment_id TEXT PRIMARY KEY,
  txn_id TEXT NOT NULL,
  payer_id TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  notify_url TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  paid_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sandbox_refunds (
  refund_id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL,
  amount_fen INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
