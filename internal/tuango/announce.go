package tuango

import (
	"context"
	"encoding/json"
	"time"
)

// Telling people. An announcement (an incident update, say) is stored
// once by its id (Announce) and fanned out by a sweep under a lease
// (FanOutAnnouncements): first one delivery per webhook subscribed to its
// event, then an outbox message to each user of its audience, in chunks
// of users in id order. The last user told is kept on the announcement
// and moved in the same transaction as the chunk's messages, by a guarded
// update: a node killed mid-way leaves the cursor where its last chunk
// committed, and the next sweep carries on from there, telling nobody twice.

// NotifyIncident is an incident update told to the people it affects.
const NotifyIncident NotificationKind = "incident_update"

// Announcement is news for everyone affected: an incident update today.
type Announcement struct {
	ID      string           // idempotency: the same ID announced twice is one announcement
	Event   string           // webhook event name, e.g. "incident.updated"
	Cities  []string         // affected city ids; empty means every city
	Kind    NotificationKind // in-app / SMS notification kind, e.g. NotifyIncident
	Params  NotifyParams     // what the notification says
	Payload json.RawMessage  // the webhook body's "data"
	At      time.Time

	// Kept by the store.
	CreatedAt      time.Time
	WebhooksQueued bool   // its webhook deliveries are written
	Cursor         string // the last user told, in id order
	Told           int    // how many users were told
	DoneAt         time.Time
}

// AudienceDays is how far back an order in a city makes its customer one
// of the city's audience (besides those whose home pickup point is there).
const AudienceDays = 30

// AnnounceChunk is how many users one fan-out transaction tells.
const AnnounceChunk = 500

// maxAnnounceCities bounds an announcement's list of cities.
const maxAnnounceCities = 200

// Announce stores an announcement durably for the fan-out sweep; the same
// id stored before makes it a no-op.
func (s *Service) Announce(ctx context.Context, a Announcement) error {
	if err := a.validate(); err != nil {
		return err
	}
	now := s.clock.Now()
	if a.At.IsZero() {
		a.At = now
	}
	a.At, a.CreatedAt = Truncate(a.At), now
	a.WebhooksQueued, a.Cursor, a.Told, a.DoneAt = false, "", 0, time.Time{}
	return s.store.AddAnnouncement(ctx, &a)
}

func (a *Announcement) validate() error {
	switch {
	case a.ID == "" || len(a.ID) > 120:
		return FieldError("id", "is required, at most 120 characters")
	case !validEvent(a.Event) || a.Event == "*":
		return FieldError("event", "must be a name of letters, digits, '.', '_' or '-', such as incident.updated")
	case a.Kind == "":
		return FieldError("kind", "is required")
	case len(a.Cities) > maxAnnounceCities:
		return FieldError("cities", "names %d cities; at most %d", len(a.Cities), maxAnnounceCities)
	}
	for _, c := range a.Cities {
		if err := checkID("cities", c); err != nil {
			return err
		}
	}
	if len(a.Payload) == 0 {
		a.Payload = json.RawMessage("{}")
	}
	if !json.Valid(a.Payload) {
		return FieldError("payload", "is not valid JSON")
	}
	return nil
}

// validEvent reports whether e is an event name (or "*", every event).
func validEvent(e string) bool {
	if e == "*" {
		return true
	}
	if e == "" || len(e) > 60 {
		return false
	}
	for _, r := range e {
		if !(r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Audience says who an announcement reaches: the customers, leaders and
// suppliers of some cities (every city when Cities is empty), after a
// user id, in id order.
type Audience struct {
	Cities      []string
	OrderedFrom time.Time // a customer's order in a city since then counts
	After       string
	Limit       int
}

// FanOutAnnouncements does the fan-out of announcements not yet done, at
// most limit users in all, and reports how many users and webhook
// deliveries it wrote.
func (s *Service) FanOutAnnouncements(ctx context.Context, limit int) (int, error) {
	pending, err := s.store.FindPendingAnnouncements(ctx, 20)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range pending {
		a := &pending[i]
		if !a.WebhooksQueued {
			m, err := s.queueWebhooks(ctx, a)
			if err != nil {
				return n, err
			}
			n += m
		}
		for n < limit && a.DoneAt.IsZero() {
			m, err := s.tellChunk(ctx, a, min(AnnounceChunk, limit-n))
			n += m
			if err != nil {
				return n, err
			}
			if m == 0 && a.DoneAt.IsZero() { // another node moved it on
				break
			}
		}
		if n >= limit {
			break
		}
	}
	return n, nil
}

// tellChunk writes the messages of the next chunk of a's audience and
// moves its cursor past them, marking it done when the audience ends.
func (s *Service) tellChunk(ctx context.Context, a *Announcement, limit int) (int, error) {
	ids, err := s.store.FindAudience(ctx, Audience{Cities: a.Cities, OrderedFrom: a.At.AddDate(0, 0, -AudienceDays), After: a.Cursor, Limit: limit})
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	next, done := a.Cursor, time.Time{}
	if len(ids) > 0 {
		next = ids[len(ids)-1]
	}
	if len(ids) < limit {
		done = now
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		ok, err := tx.MoveAnnouncementCursor(ctx, a.ID, a.Cursor, next, len(ids), done)
		if err != nil || !ok {
			return err
		}
		ms := make([]*Message, len(ids))
		for i, id := range ids {
			ms[i] = s.message(id, "", a.Kind, a.Params, now)
		}
		return s.notifyMany(ctx, tx, ms)
	})
	if err != nil {
		return 0, err
	}
	fresh, err := s.store.FindAnnouncementByID(ctx, a.ID)
	if err != nil {
		return 0, err
	}
	told := fresh.Told - a.Told
	*a = *fresh
	return told, nil
}

// FindAnnouncement returns an announcement with its fan-out's progress.
func (s *Service) FindAnnouncement(ctx context.Context, id string) (*Announcement, error) {
	return s.store.FindAnnouncementByID(ctx, id)
}
