-- After-sales (售后): a customer's request for a refund of some units of a
-- picked-up order line, approved by a rule or by an operator. Only
-- additions. One open (pending) request per line, kept by a partial unique
-- index; the refund an approval makes is a partial_refunds row whose
-- reason names the request, so a line can have several after-sales refunds.
CREATE TABLE after_sales (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders(id),
  line_no INTEGER NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  reason TEXT NOT NULL CHECK (reason IN ('missing', 'damaged', 'quality', 'other')),
  note TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  refund_fen BIGINT NOT NULL DEFAULT 0 CHECK (refund_fen >= 0),
  approved_by_rule TEXT NOT NULL DEFAULT '',
  reject_reason TEXT NOT NULL DEFAULT '',
  decided_by TEXT NOT NULL DEFAULT '',
  refund_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  decided_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX after_sales_open ON after_sales(order_id, line_no) WHERE status = 'pending';
CREATE INDEX after_sales_order ON after_sales(order_id, line_no);
CREATE INDEX after_sales_status ON after_sales(status, created_at, id);

-- How long after pickup a city's customers may ask (default 48 h).
ALTER TABLE cities ADD COLUMN after_sales_hours INTEGER NOT NULL DEFAULT 48 CHECK (after_sales_hours > 0);
