-- Coupons: an operator's coupon (an amount off above a minimum spend, for
-- everyone or for new customers only), the customer coupons issued from it
-- (a customer holds a coupon once), and on each order the coupon applied
-- and its discount, split onto the lines as what was paid for each.
CREATE TABLE coupons (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('threshold', 'new_customer')),
  amount_off_fen INTEGER NOT NULL CHECK (amount_off_fen > 0),
  min_spend_fen INTEGER NOT NULL CHECK (min_spend_fen > amount_off_fen),
  valid_from INTEGER NOT NULL,
  valid_to INTEGER NOT NULL CHECK (valid_to > valid_from),
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE customer_coupons (
  id TEXT PRIMARY KEY,
  coupon_id TEXT NOT NULL REFERENCES coupons(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  status TEXT NOT NULL CHECK (status IN ('available', 'used')),
  order_id TEXT NOT NULL DEFAULT '',
  issued_at INTEGER NOT NULL,
  used_at INTEGER NOT NULL DEFAULT 0,
  UNIQUE (coupon_id, user_id)
);
CREATE INDEX customer_coupons_user ON customer_coupons(user_id, issued_at);

ALTER TABLE orders ADD COLUMN discount_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN customer_coupon_id TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN paid_fen INTEGER NOT NULL DEFAULT 0;
-- Lines placed before coupons paid their whole amount.
UPDATE order_lines SET paid_fen = amount_fen;
