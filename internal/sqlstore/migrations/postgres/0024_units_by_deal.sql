-- A customer's units of a deal are keyed by the deal first (see the
-- SQLite migration of the same number): one flash sale's entries share a
-- few index pages instead of one page per customer. The new key is built
-- while the table is locked, a few seconds for millions of rows.
ALTER TABLE customer_deal_units DROP CONSTRAINT customer_deal_units_pkey,
  ADD PRIMARY KEY (deal_id, user_id);
