package tuango

import (
	"context"
	"time"
)

// Feedback: a signed-in user (a customer, mostly) sends a short text, about one of their
// orders or not, and the operators work through the queue, marking each
// handled.

// Feedback is one customer's message to the operators.
type Feedback struct {
	ID        string
	UserID    string
	UserName  string // when read for the queue
	UserPhone string
	OrderID   string
	Text      string
	CreatedAt time.Time
	HandledAt time.Time
	HandledBy string
}

// FeedbackFilter selects the queue.
type FeedbackFilter struct {
	Handled bool // the handled ones (newest first) instead of the open ones (oldest first)
	Limit   int
}

// Feedback limits: its length in characters, and how many one customer
// may send within FeedbackWindow.
const (
	MaxFeedbackText = 1000
	MaxFeedbacks    = 5
	FeedbackWindow  = time.Hour
)

// SendFeedback stores a customer's feedback. An order it names must be
// theirs (another's answers not found, as a missing one does).
func (s *Service) SendFeedback(ctx context.Context, a Actor, text, orderID string) (*Feedback, error) {
	if a.UserID == "" {
		return nil, Errorf(CodeUnauthorized, "log in to send feedback")
	}
	text, err := checkText("text", text, true, MaxFeedbackText)
	if err != nil {
		return nil, err
	}
	if orderID != "" {
		if checkID("order_id", orderID) != nil {
			return nil, ErrNotFound
		}
		o, err := s.store.FindOrderByID(ctx, orderID)
		if err != nil {
			return nil, err
		}
		if o.UserID != a.UserID {
			return nil, ErrNotFound
		}
	}
	now := s.clock.Now()
	n, oldest, err := s.store.CountFeedback(ctx, a.UserID, now.Add(-FeedbackWindow))
	if err != nil {
		return nil, err
	}
	if n >= MaxFeedbacks {
		return nil, &Error{Code: CodeTooManyAttempts, Message: "you have sent a lot of feedback in the last hour; please wait a while before sending more",
			RetryAfter: oldest.Add(FeedbackWindow).Sub(now)}
	}
	f := &Feedback{ID: s.newID("fbk"), UserID: a.UserID, OrderID: orderID, Text: text, CreatedAt: now}
	if err := s.store.AddFeedback(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// FeedbackQueue lists feedback for the operators.
func (s *Service) FeedbackQueue(ctx context.Context, a Actor, f FeedbackFilter) ([]Feedback, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = DefaultPage
	}
	return s.store.FindFeedback(ctx, f)
}

// HandleFeedback marks feedback handled by the operator and returns it;
// marking it again changes nothing.
func (s *Service) HandleFeedback(ctx context.Context, a Actor, id string) (*Feedback, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	if checkID("id", id) != nil {
		return nil, ErrNotFound
	}
	if _, err := s.store.MarkFeedbackHandled(ctx, id, a.UserID, s.clock.Now()); err != nil {
		return nil, err
	}
	return s.store.FindFeedbackByID(ctx, id)
}
