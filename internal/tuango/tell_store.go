package tuango

import (
	"context"
	"time"
)

// TellStore keeps announcements, webhooks and their deliveries.
type TellStore interface {
	// AddAnnouncement stores an announcement unless one with its id is
	// stored.
	AddAnnouncement(ctx context.Context, a *Announcement) error
	FindAnnouncementByID(ctx context.Context, id string) (*Announcement, error)
	// FindPendingAnnouncements lists announcements whose fan-out is not
	// done, oldest first.
	FindPendingAnnouncements(ctx context.Context, limit int) ([]Announcement, error)
	// FindAudience returns the ids of the users an audience reaches, in
	// id order.
	FindAudience(ctx context.Context, a Audience) ([]string, error)
	// MoveAnnouncementCursor moves an announcement's cursor from one user
	// to another, adding told to its count and, unless doneAt is zero,
	// marking it done, if its cursor is still from and it is not done; it
	// reports whether it did.
	MoveAnnouncementCursor(ctx context.Context, id, from, to string, told int, doneAt time.Time) (bool, error)

	CreateWebhook(ctx context.Context, w *Webhook) error
	// FindWebhooks lists the webhooks not deleted, oldest first.
	FindWebhooks(ctx context.Context) ([]Webhook, error)
	// DeleteWebhook marks a webhook deleted and fails its pending
	// deliveries, and reports whether it was live.
	DeleteWebhook(ctx context.Context, id string, at time.Time) (bool, error)
	// QueueWebhookDeliveries marks an announcement's webhooks queued and
	// stores its deliveries, if they were not queued before; it reports
	// whether this call did.
	QueueWebhookDeliveries(ctx context.Context, announcementID string, ds []*WebhookDelivery) (bool, error)
	// FindDueDeliveries lists pending deliveries due at now with their
	// webhooks' URL and secret, the longest due first.
	FindDueDeliveries(ctx context.Context, now time.Time, limit int) ([]WebhookDelivery, error)
	// ClaimDelivery moves a pending delivery's next time from due to until
	// if it is still pending after attempts with that next time, so that
	// no other node sends it meanwhile, and reports whether it did.
	ClaimDelivery(ctx context.Context, id string, attempts int, due, until time.Time) (bool, error)
	// FinishDeliveryAttempt writes a delivery's status, attempts, next
	// time, last error and finish time if it is still pending after
	// attempts from, and reports whether it was.
	FinishDeliveryAttempt(ctx context.Context, d *WebhookDelivery, from int) (bool, error)
	// FindDeliveries lists deliveries, newest first.
	FindDeliveries(ctx context.Context, f DeliveryFilter) ([]WebhookDelivery, error)
	// CountDeliveries counts deliveries per status.
	CountDeliveries(ctx context.Context) (map[DeliveryStatus]int, error)

	ApologyStore
	FeedbackStore
}

// ApologyStore keeps noted order failures and finds an incident's
// customers.
type ApologyStore interface {
	// AddOrderFailures stores failures, each once by id.
	AddOrderFailures(ctx context.Context, fs []OrderFailure) error
	// FindApologyCustomers returns the ids of the customers whose order
	// requests failed, or whose orders expired unpaid with their deadline,
	// between From and To (inclusive) in the filter's cities, in id order.
	FindApologyCustomers(ctx context.Context, f ApologyFilter) ([]string, error)
}

// FeedbackStore keeps customers' feedback.
type FeedbackStore interface {
	AddFeedback(ctx context.Context, f *Feedback) error
	FindFeedbackByID(ctx context.Context, id string) (*Feedback, error)
	// FindFeedback lists the open feedback oldest first, or the handled
	// newest first, with each sender's name and phone.
	FindFeedback(ctx context.Context, f FeedbackFilter) ([]Feedback, error)
	// CountFeedback counts a customer's feedback since a time, and returns
	// the oldest one's time.
	CountFeedback(ctx context.Context, userID string, since time.Time) (int, time.Time, error)
	// MarkFeedbackHandled marks open feedback handled, and reports whether
	// it was open.
	MarkFeedbackHandled(ctx context.Context, id, by string, at time.Time) (bool, error)
}
