-- A customer's orders awaiting payment, counted for every order placed
-- while the cap on unpaid orders is on (--max-unpaid-orders, 5 by
-- default). Without it the count read every order awaiting payment, of
-- every customer, through orders_status_expiry: in a flash sale, all of
-- the sale's orders for every batch. Only unpaid orders are in it: an
-- order leaves it when it is paid, cancelled or expires.
CREATE INDEX orders_user_unpaid ON orders(user_id, expires_at) WHERE status = 'pending_payment';
