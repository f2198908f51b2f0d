-- A flash deal (秒杀) holds an unpaid order's stock for the shorter flash
-- timeout (serve --flash-order-timeout) instead of --order-timeout, so
-- that unpaid orders cannot sit on a deal that sells out in seconds.
ALTER TABLE deals ADD COLUMN flash INTEGER NOT NULL DEFAULT 0;
