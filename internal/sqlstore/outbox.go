package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"tuango/internal/tuango"
)

const messageColumns = `id, user_id, order_id, kind, text, params, created_at`

func scanMessage(sc scanner, m *tuango.Message) error {
	var created int64
	var params string
	if err := sc.Scan(&m.ID, &m.UserID, &m.OrderID, &m.Kind, &m.Text, &params, &created); err != nil {
		return err
	}
	m.CreatedAt = fromMicros(created)
	if params == "" { // a message stored before parameters were: its text says it all
		return nil
	}
	if err := json.Unmarshal([]byte(params), &m.Params); err != nil {
		return fmt.Errorf("the parameters of message %s: %w", m.ID, err)
	}
	return nil
}

// messageParams is how a message's parameters are stored: JSON, or
// nothing when it has none.
func messageParams(m *tuango.Message) (string, error) {
	if m.Params == (tuango.NotifyParams{}) {
		return "", nil
	}
	b, err := json.Marshal(m.Params)
	return string(b), err
}

// AddOutbox writes a message to the outbox.
func (s *Store) AddOutbox(ctx context.Context, m *tuango.Message) error {
	return s.AddOutboxMessages(ctx, []*tuango.Message{m})
}

// AddOutboxMessages writes messages to the outbox in multi-row inserts.
func (s *Store) AddOutboxMessages(ctx context.Context, ms []*tuango.Message) error {
	rows := make([][]any, len(ms))
	for i, m := range ms {
		params, err := messageParams(m)
		if err != nil {
			return wrap(err, "add message %s to the outbox", m.ID)
		}
		rows[i] = []any{m.ID, m.UserID, m.OrderID, string(m.Kind), m.Text, params, micros(m.CreatedAt)}
	}
	err := s.insertRows(ctx, `INSERT INTO outbox (`+messageColumns+`)`, "", 7, rows)
	return wrap(err, "add %d messages to the outbox", len(ms))
}

// FindUnsentMessages returns unsent outbox messages, oldest first.
func (s *Store) FindUnsentMessages(ctx context.Context, limit int) ([]tuango.Message, error) {
	msgs, err := queryAll(s, ctx, scanMessage, `SELECT `+messageColumns+` FROM outbox WHERE sent_at = 0 ORDER BY id LIMIT ?`, limit)
	return msgs, wrap(err, "find unsent messages")
}

// AddToInbox copies a message to the inbox unless it is there.
func (s *Store) AddToInbox(ctx context.Context, m *tuango.Message) error {
	params, err := messageParams(m)
	if err == nil {
		_, err = s.exec(ctx, `INSERT INTO notifications (`+messageColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, m.ID, m.UserID, m.OrderID, string(m.Kind), m.Text, params, micros(m.CreatedAt))
	}
	return wrap(err, "add message %s to the inbox", m.ID)
}

// MarkMessageSent records a message sent once.
func (s *Store) MarkMessageSent(ctx context.Context, id string, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE outbox SET sent_at = ? WHERE id = ? AND sent_at = 0`, micros(at), id)
	return ok, wrap(err, "mark message %s sent", id)
}

// FindInbox returns a page of a user's inbox, newest first.
func (s *Store) FindInbox(ctx context.Context, userID, before string, limit int) ([]tuango.Message, error) {
	q, args := `SELECT `+messageColumns+` FROM notifications WHERE user_id = ?`, []any{userID}
	if before != "" {
		q, args = q+` AND id < ?`, append(args, before)
	}
	msgs, err := queryAll(s, ctx, scanMessage, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	return msgs, wrap(err, "find the inbox of %s", userID)
}

// RecordSMS stores what the sandbox SMS sender would send, once per
// message id, and reports whether it was new.
func (s *Store) RecordSMS(ctx context.Context, messageID, phone, text string, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `INSERT INTO sandbox_sms (message_id, phone, text, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`,
		messageID, phone, text, micros(at))
	return ok, wrap(err, "record sandbox SMS %s", messageID)
}

// CountSMS counts the sandbox SMS of a message id (0 or 1) or, with an
// empty id, all of them.
func (s *Store) CountSMS(ctx context.Context, messageID string) (int, error) {
	var n int
	var err error
	if messageID == "" {
		err = s.queryRow(ctx, `SELECT COUNT(*) FROM sandbox_sms`).Scan(&n)
	} else {
		err = s.queryRow(ctx, `SELECT COUNT(*) FROM sandbox_sms WHERE message_id = ?`, messageID).Scan(&n)
	}
	return n, wrap(err, "count sandbox SMS")
}
