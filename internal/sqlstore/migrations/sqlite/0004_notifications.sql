-- Notifications: written to the outbox in the same transaction as the
-- event that causes them, then delivered by a sweep to the in-app inbox
-- and to the sender (SMS), each under the message's id, so that a message
-- sent again after a crash is recognised by its receiver.
CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  order_id TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  sent_at INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unsent ON outbox(sent_at, id);

CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  order_id TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX notifications_user ON notifications(user_id, id);

-- When an arrived order's customer was reminded that its pickup window
-- ends soon.
ALTER TABLE orders ADD COLUMN reminded_at INTEGER NOT NULL DEFAULT 0;

-- The sandbox SMS sender's record of what it would have sent, once per
-- message id (in a real deployment, the SMS provider's).
CREATE TABLE sandbox_sms (
  message_id TEXT PRIMARY KEY,
  phone TEXT NOT NULL,
  text TEXT NOT NULL,
  sent_at INTEGER NOT NULL
);
