-- Telling people. An announcement (an incident update) is stored once by
-- its id and fanned out by a sweep: first one delivery per subscribed
-- webhook, then outbox messages to its audience in chunks of users by id,
-- the cursor being the last user told, advanced in the transaction that
-- writes the chunk's messages.
CREATE TABLE announcements (
  id TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  cities TEXT NOT NULL,
  kind TEXT NOT NULL,
  params TEXT NOT NULL,
  payload TEXT NOT NULL,
  at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  webhooks_queued BIGINT NOT NULL DEFAULT 0,
  cursor_user TEXT NOT NULL DEFAULT '',
  told BIGINT NOT NULL DEFAULT 0,
  done_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX announcements_pending ON announcements(done_at, id);

-- Webhook subscribers and their deliveries, each retried with backoff
-- until delivered or failed. A deleted webhook is kept for its history.
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id),
  announcement_id TEXT NOT NULL,
  event TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts BIGINT NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL DEFAULT 0,
  UNIQUE (webhook_id, announcement_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at);

-- Order requests refused because the database did not answer, noted in
-- each node's memory and written here once it answers again: whom the
-- apology coupons of an incident go to.
CREATE TABLE order_failures (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  at BIGINT NOT NULL,
  attempts BIGINT NOT NULL
);
CREATE INDEX order_failures_at ON order_failures(at);

-- Customers' feedback, and the operator's queue of it.
CREATE TABLE feedback (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  order_id TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  handled_at BIGINT NOT NULL DEFAULT 0,
  handled_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX feedback_queue ON feedback(handled_at, created_at);
CREATE INDEX feedback_user ON feedback(user_id, created_at);
