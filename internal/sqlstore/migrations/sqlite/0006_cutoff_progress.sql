-- A running cutoff's progress, written in each chunk's transaction, so
-- that any node can show how far it is: the orders moved so far and the
-- total it set out to move (re-counted when an interrupted cutoff resumes).
ALTER TABLE cutoffs ADD COLUMN moved_orders INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cutoffs ADD COLUMN total_orders INTEGER NOT NULL DEFAULT 0;
