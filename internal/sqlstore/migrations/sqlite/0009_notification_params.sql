-- Notifications are stored as a kind and its parameters (JSON) and worded
-- in the reader's language when read. The text column stays: the rows
-- written before this keep their Chinese text, and new rows leave it empty.
ALTER TABLE outbox ADD COLUMN params TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN params TEXT NOT NULL DEFAULT '';
