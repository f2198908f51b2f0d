package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

const feedbackSelect = `SELECT f.id, f.user_id, u.name, u.phone, f.order_id, f.text, f.created_at, f.handled_at, f.handled_by
	FROM feedback f JOIN users u ON u.id = f.user_id`

func scanFeedback(sc scanner, f *tuango.Feedback) error {
	var created, handled int64
	err := sc.Scan(&f.ID, &f.UserID, &f.UserName, &f.UserPhone, &f.OrderID, &f.Text, &created, &handled, &f.HandledBy)
	f.CreatedAt, f.HandledAt = fromMicros(created), fromMicros(handled)
	return err
}

// AddFeedback stores a customer's feedback.
func (s *Store) AddFeedback(ctx context.Context, f *tuango.Feedback) error {
	_, err := s.exec(ctx, `INSERT INTO feedback (id, user_id, order_id, text, created_at) VALUES (?, ?, ?, ?, ?)`,
		f.ID, f.UserID, f.OrderID, f.Text, micros(f.CreatedAt))
	return wrap(err, "add feedback %s", f.ID)
}

// FindFeedbackByID finds one piece of feedback.
func (s *Store) FindFeedbackByID(ctx context.Context, id string) (*tuango.Feedback, error) {
	var f tuango.Feedback
	if err := scanFeedback(s.queryRow(ctx, feedbackSelect+` WHERE f.id = ?`, id), &f); err != nil {
		return nil, wrap(notFound(err), "find feedback %s", id)
	}
	return &f, nil
}

// FindFeedback lists the open feedback oldest first, or the handled newest first.
func (s *Store) FindFeedback(ctx context.Context, f tuango.FeedbackFilter) ([]tuango.Feedback, error) {
	q := feedbackSelect + ` WHERE f.handled_at = 0 ORDER BY f.created_at, f.id LIMIT ?`
	if f.Handled {
		q = feedbackSelect + ` WHERE f.handled_at <> 0 ORDER BY f.handled_at DESC, f.id DESC LIMIT ?`
	}
	fs, err := queryAll(s, ctx, scanFeedback, q, f.Limit)
	return fs, wrap(err, "find feedback")
}

// CountFeedback counts a customer's feedback since a time.
func (s *Store) CountFeedback(ctx context.Context, userID string, since time.Time) (int, time.Time, error) {
	var n int
	var oldest int64
	err := s.queryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM feedback WHERE user_id = ? AND created_at >= ?`, userID, micros(since)).Scan(&n, &oldest)
	return n, fromMicros(oldest), wrap(err, "count the feedback of %s", userID)
}

// MarkFeedbackHandled marks open feedback handled.
func (s *Store) MarkFeedbackHandled(ctx context.Context, id, by string, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE feedback SET handled_at = ?, handled_by = ? WHERE id = ? AND handled_at = 0`, micros(at), by, id)
	return ok, wrap(err, "mark feedback %s handled", id)
}
