package sqlstore

import (
	"context"
	"strings"
	"time"

	"tuango/internal/tuango"
)

const webhookColumns = `id, url, secret, events, created_by, created_at`

func scanWebhook(sc scanner, w *tuango.Webhook) error {
	var events string
	var created int64
	err := sc.Scan(&w.ID, &w.URL, &w.Secret, &events, &w.CreatedBy, &created)
	w.Events, w.CreatedAt = strings.Fields(events), fromMicros(created)
	return err
}

// CreateWebhook stores a webhook.
func (s *Store) CreateWebhook(ctx context.Context, w *tuango.Webhook) error {
	_, err := s.exec(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		w.ID, w.URL, w.Secret, strings.Join(w.Events, " "), w.CreatedBy, micros(w.CreatedAt))
	return wrap(err, "create webhook %s", w.ID)
}

// FindWebhooks lists the live webhooks, oldest first.
func (s *Store) FindWebhooks(ctx context.Context) ([]tuango.Webhook, error) {
	ws, err := queryAll(s, ctx, scanWebhook, `SELECT `+webhookColumns+` FROM webhooks WHERE deleted_at = 0 ORDER BY created_at, id`)
	return ws, wrap(err, "find webhooks")
}

// DeleteWebhook marks a webhook deleted and fails its pending deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, id string, at time.Time) (bool, error) {
	ok := false
	err := s.InTx(ctx, func(tx tuango.Store) error {
		t := tx.(*Store)
		var err error
		if ok, err = t.execOne(ctx, `UPDATE webhooks SET deleted_at = ? WHERE id = ? AND deleted_at = 0`, micros(at), id); err != nil || !ok {
			return err
		}
		_, err = t.exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', finished_at = ?, last_error = 'the webhook was deleted'
			WHERE webhook_id = ? AND status = 'pending'`, micros(at), id)
		return err
	})
	return ok, wrap(err, "delete webhook %s", id)
}

// QueueWebhookDeliveries marks an announcement's webhooks queued and
// stores its deliveries, once.
func (s *Store) QueueWebhookDeliveries(ctx context.Context, announcementID string, ds []*tuango.WebhookDelivery) (bool, error) {
	ok := false
	err := s.InTx(ctx, func(tx tuango.Store) error {
		t := tx.(*Store)
		var err error
		if ok, err = t.execOne(ctx, `UPDATE announcements SET webhooks_queued = 1 WHERE id = ? AND webhooks_queued = 0`, announcementID); err != nil || !ok {
			return err
		}
		rows := make([][]any, len(ds))
		for i, d := range ds {
			rows[i] = []any{d.ID, d.WebhookID, d.AnnouncementID, d.Event, d.Body, string(d.Status), micros(d.NextAt), micros(d.CreatedAt)}
		}
		return t.insertRows(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, announcement_id, event, body, status, next_at, created_at)`,
			` ON CONFLICT (webhook_id, announcement_id) DO NOTHING`, 8, rows)
	})
	return ok, wrap(err, "queue the webhook deliveries of announcement %s", announcementID)
}

const deliveryColumns = `d.id, d.webhook_id, d.announcement_id, d.event, d.body, d.status, d.attempts, d.next_at, d.last_error, d.created_at, d.finished_at, w.url, w.secret`

func scanDelivery(sc scanner, d *tuango.WebhookDelivery) error {
	var next, created, finished int64
	err := sc.Scan(&d.ID, &d.WebhookID, &d.AnnouncementID, &d.Event, &d.Body, &d.Status, &d.Attempts, &next, &d.LastError, &created, &finished, &d.URL, &d.Secret)
	d.NextAt, d.CreatedAt, d.FinishedAt = fromMicros(next), fromMicros(created), fromMicros(finished)
	return err
}

// FindDueDeliveries lists pending deliveries due at now, longest due first.
func (s *Store) FindDueDeliveries(ctx context.Context, now time.Time, limit int) ([]tuango.WebhookDelivery, error) {
	ds, err := queryAll(s, ctx, scanDelivery, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.status = 'pending' AND d.next_at <= ? AND w.deleted_at = 0 ORDER BY d.next_at, d.id LIMIT ?`, micros(now), limit)
	return ds, wrap(err, "find due webhook deliveries")
}

// ClaimDelivery takes a due delivery for one sender by a guarded update.
func (s *Store) ClaimDelivery(ctx context.Context, id string, attempts int, due, until time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE webhook_deliveries SET next_at = ? WHERE id = ? AND status = 'pending' AND attempts = ? AND next_at = ?`,
		micros(until), id, attempts, micros(due))
	return ok, wrap(err, "claim webhook delivery %s", id)
}

// FinishDeliveryAttempt records an attempt by a guarded update.
func (s *Store) FinishDeliveryAttempt(ctx context.Context, d *tuango.WebhookDelivery, from int) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?, last_error = ?, finished_at = ?
		WHERE id = ? AND status = 'pending' AND attempts = ?`, string(d.Status), d.Attempts, micros(d.NextAt), d.LastError, micros(d.FinishedAt), d.ID, from)
	return ok, wrap(err, "record an attempt of webhook delivery %s", d.ID)
}

// FindDeliveries lists deliveries, newest first.
func (s *Store) FindDeliveries(ctx context.Context, f tuango.DeliveryFilter) ([]tuango.WebhookDelivery, error) {
	var where []string
	var args []any
	if f.WebhookID != "" {
		where, args = append(where, "d.webhook_id = ?"), append(args, f.WebhookID)
	}
	if f.Status != "" {
		where, args = append(where, "d.status = ?"), append(args, string(f.Status))
	}
	ds, err := queryAll(s, ctx, scanDelivery, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id`+
		whereClause(where)+` ORDER BY d.created_at DESC, d.id DESC LIMIT ?`, append(args, f.Limit)...)
	return ds, wrap(err, "find webhook deliveries")
}

// CountDeliveries counts deliveries per status.
func (s *Store) CountDeliveries(ctx context.Context) (map[tuango.DeliveryStatus]int, error) {
	type row struct {
		status tuango.DeliveryStatus
		n      int
	}
	rows, err := queryAll(s, ctx, func(sc scanner, r *row) error { return sc.Scan(&r.status, &r.n) },
		`SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY status`)
	if err != nil {
		return nil, wrap(err, "count webhook deliveries")
	}
	out := map[tuango.DeliveryStatus]int{tuango.DeliveryPending: 0, tuango.DeliveryDelivered: 0, tuango.DeliveryFailed: 0}
	for _, r := range rows {
		out[r.status] = r.n
	}
	return out, nil
}
