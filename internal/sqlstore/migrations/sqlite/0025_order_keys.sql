-- A placed order carries its Idempotency-Key's answer itself: the request's
-- fingerprint and the payment deadline it was first answered with, beside
-- the key it always had. One index keyed by customer, (user_id,
-- idempotency_key), unique, takes the place of two: orders_user (customer,
-- time) and the primary key of the placement's idempotency record, each of
-- which put every order of a sale in another page (BenchmarkOrderIndexes).
-- A customer's orders are still found by the index's first column, and
-- sorted by time after it.
ALTER TABLE orders ADD COLUMN idempotency_fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN placed_expires_at INTEGER NOT NULL DEFAULT 0;
-- A key a customer sent again after its record was purged (7 days) placed
-- a second order under it: the earlier orders keep the key with their id
-- appended, so that the key names one order, the latest (the one its
-- record, if still kept, names).
UPDATE orders SET idempotency_key = idempotency_key || '#' || id
  WHERE EXISTS (SELECT 1 FROM orders later WHERE later.user_id = orders.user_id
    AND later.idempotency_key = orders.idempotency_key AND later.id > orders.id);
CREATE UNIQUE INDEX orders_user_key ON orders(user_id, idempotency_key);
DROP INDEX orders_user;
