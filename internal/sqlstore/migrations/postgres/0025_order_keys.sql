-- A placed order carries its Idempotency-Key's answer itself (see the
-- SQLite migration of the same number): one unique index keyed by
-- customer, (user_id, idempotency_key), takes the place of orders_user
-- and of the primary key of the placement's idempotency record.
ALTER TABLE orders ADD COLUMN idempotency_fingerprint TEXT NOT NULL DEFAULT '',
  ADD COLUMN placed_expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE orders SET idempotency_key = idempotency_key || '#' || id
  WHERE EXISTS (SELECT 1 FROM orders later WHERE later.user_id = orders.user_id
    AND later.idempotency_key = orders.idempotency_key AND later.id > orders.id);
CREATE UNIQUE INDEX orders_user_key ON orders(user_id, idempotency_key);
DROP INDEX orders_user;
