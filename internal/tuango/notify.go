package tuango

import (
	"context"
	"fmt"
	"time"
)

// Notifications. Each is written to the outbox in the transaction of the
// event that causes it (notify), then delivered by the worker's sweep
// (DeliverNotifications) to the customer's in-app inbox and to the Sender,
// under the message's id: a node that dies after the event and before the
// send leaves the message in the outbox for the next sweep, and one that
// dies after the send and before recording it sends it again under the
// same id, which the receiver recognises.

// NotificationKind says what a notification is about.
type NotificationKind string

// The notifications tuango sends.
const (
	NotifyConfirmed  NotificationKind = "order_confirmed"
	NotifyArrived    NotificationKind = "order_arrived"
	NotifyShort      NotificationKind = "order_short"
	NotifyReminder   NotificationKind = "pickup_reminder"
	NotifyDispatched NotificationKind = "delivery_dispatched"
	NotifyMoved      NotificationKind = "order_moved"     // to another pickup point
	NotifyClosed     NotificationKind = "order_cancelled" // its pickup point closed: cancelled and refunded
	// NotifyCancelRefunded is a payment given back because its order was
	// cancelled (by its customer, or expired before a late payment landed).
	NotifyCancelRefunded NotificationKind = "order_cancel_refunded"

	NotifyWithdrawalPaid     NotificationKind = "withdrawal_paid"
	NotifyWithdrawalFailed   NotificationKind = "withdrawal_failed" // the payout failed: the money is available again
	NotifyWithdrawalRejected NotificationKind = "withdrawal_rejected"

	NotifySettlementPaid   NotificationKind = "settlement_paid"   // to the supplier's accounts
	NotifySettlementFailed NotificationKind = "settlement_failed" // the payout failed: the money is owed again
)

// NotifyParams are what a notification says besides its kind. They are
// stored with it as JSON, and its text is worded from the kind and these
// in the reader's language when it is read (see SetTexts).
type NotifyParams struct {
	Date      string `json:"date,omitempty"`       // a delivery date, YYYY-MM-DD
	Point     string `json:"point,omitempty"`      // a pickup point's name
	ToPoint   string `json:"to_point,omitempty"`   // the point an order moved to
	ToAddress string `json:"to_address,omitempty"` // and its address
	Route     string `json:"route,omitempty"`      // a route's name
	RefundFen Fen    `json:"refund_fen,omitempty"` // money back
	Until     string `json:"until,omitempty"`      // when the pickup window ends, RFC 3339
	Reason    string `json:"reason,omitempty"`     // why, as the operator wrote it
	Line      int    `json:"line,omitempty"`       // an order line's number
	AmountFen Fen    `json:"amount_fen,omitempty"` // a withdrawal's or settlement's amount
	Incident  string `json:"incident,omitempty"`   // an incident's name
	Status    string `json:"status,omitempty"`     // an incident's status: investigating, identified, monitoring, resolved
	ETA       string `json:"eta,omitempty"`        // the expected recovery, RFC 3339
	Body      string `json:"body,omitempty"`       // what an update says, as the operator wrote it
}

// ReminderLead is how long before the pickup window ends the customer is
// reminded to collect.
const ReminderLead = 24 * time.Hour

// Message is one notification to one user.
type Message struct {
	ID      string
	UserID  string
	OrderID string
	Kind    NotificationKind
	Params  NotifyParams
	// Text is the message worded for its reader: set on a message read
	// for someone (the inbox, the sender). Messages stored before texts
	// were worded at read time keep their Chinese text here.
	Text      string
	CreatedAt time.Time
	SentAt    time.Time
}

// Sender sends a message outside tuango, such as by SMS. It must treat a
// message id it has already sent as done.
type Sender interface {
	Send(ctx context.Context, m *Message, phone string) error
}

// SetSender sets where notifications are sent besides the inbox; without
// one they reach the inbox only. Call it before the worker starts.
func (s *Service) SetSender(snd Sender) { s.sender = snd }

// Texts words a message for a reader in a language ("zh" or "en"); the
// web package's catalogue is the one tuango uses.
type Texts func(lang string, m *Message) string

// SetTexts sets how messages are worded for the sender; without it the
// sender gets the stored text (empty for new messages). Call it before
// the worker starts.
func (s *Service) SetTexts(t Texts) { s.texts = t }

// SMSLang is the language of the messages sent by the sender: users have
// no language preference yet, and tuango's customers read Chinese.
const SMSLang = "zh"

// message builds one notification: the one place a notification is
// made, for notify and for whoever writes them in batches.
func (s *Service) message(userID, orderID string, kind NotificationKind, p NotifyParams, now time.Time) *Message {
	return &Message{ID: s.newID("msg"), UserID: userID, OrderID: orderID, Kind: kind, Params: p, CreatedAt: now}
}

// yuan writes an amount of fen as yuan for people.
func yuan(f Fen) string { return fmt.Sprintf("%d.%02d", f/100, f%100) }

// notify writes a message to the outbox in tx.
func (s *Service) notify(ctx context.Context, tx Store, userID, orderID string, kind NotificationKind, now time.Time, p NotifyParams) error {
	if userID == "" {
		return nil
	}
	return tx.AddOutbox(ctx, s.message(userID, orderID, kind, p, now))
}

// notifyMany writes many messages, each made by message, to the outbox in
// tx in few statements.
func (s *Service) notifyMany(ctx context.Context, tx Store, ms []*Message) error {
	if len(ms) == 0 {
		return nil
	}
	return tx.AddOutboxMessages(ctx, ms)
}

// DeliverNotifications delivers unsent outbox messages to the inbox and
// the sender, oldest first, and reports how many it delivered. A message
// the sender fails stays in the outbox and is tried again at the next
// sweep; its inbox copy is written once.
func (s *Service) DeliverNotifications(ctx context.Context, limit int) (int, error) {
	msgs, err := s.store.FindUnsentMessages(ctx, limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range msgs {
		m := &msgs[i]
		if err := s.store.AddToInbox(ctx, m); err != nil {
			return n, err
		}
		if s.sender != nil {
			u, err := s.store.FindUserByID(ctx, m.UserID)
			if err != nil {
				return n, err
			}
			if s.texts != nil {
				m.Text = s.texts(SMSLang, m)
			}
			if err := s.sender.Send(ctx, m, u.Phone); err != nil {
				s.log.Warn("notification: the sender failed; it is tried again at the next sweep", "message", m.ID, "err", err)
				continue
			}
		}
		ok, err := s.store.MarkMessageSent(ctx, m.ID, s.clock.Now())
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// Notifications returns a page of the caller's inbox, newest first: at
// most limit messages older than the one named by cursor (none for the
// first page), and the cursor of the next page, empty at the end.
func (s *Service) Notifications(ctx context.Context, a Actor, limit int, cursor string) ([]Message, string, error) {
	if a.UserID == "" {
		return nil, "", Errorf(CodeUnauthorized, "log in to read your notifications")
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, "", err
	}
	msgs, err := s.store.FindInbox(ctx, a.UserID, cursor, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(msgs) > limit {
		msgs, next = msgs[:limit], msgs[limit-1].ID
	}
	return msgs, next, nil
}

// MaxPage is the most items one page of a list holds; DefaultPage is a
// page's size when the caller does not say.
const (
	MaxPage     = 500
	DefaultPage = 200 // what lists answered before they had pages
)

func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultPage, nil
	case limit < 0 || limit > MaxPage:
		return 0, FieldError("limit", "must be between 1 and %d", MaxPage)
	}
	return limit, nil
}

// RemindPickups tells the customers of arrived orders whose pickup window
// ends within ReminderLead, once each, and reports how many it told.
func (s *Service) RemindPickups(ctx context.Context, limit int) (int, error) {
	now := s.clock.Now()
	due, err := s.store.FindOrders(ctx, OrderFilter{Status: OrderArrived, ArrivedBefore: now.Add(-(s.cfg.PickupWindow - ReminderLead)), Unreminded: true, Limit: limit})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	n := 0
	err = s.store.InTx(ctx, func(tx Store) error {
		n = 0
		for _, o := range due {
			ok, err := tx.MarkReminded(ctx, o.ID, now)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			n++
			ends := o.ArrivedAt.Add(s.cfg.PickupWindow)
			if err := s.notify(ctx, tx, o.UserID, o.ID, NotifyReminder, now, NotifyParams{Until: ends.Format(time.RFC3339)}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
