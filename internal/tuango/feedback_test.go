package tuango_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

func TestFeedback(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, storetest.DSN(t), 100)
	me, other := w.customer(t, "13800000011"), w.customer(t, "13800000012")
	mine, theirs := w.order(t, me, "m1", 1), w.order(t, other, "o1", 1)
	leader := tuango.Actor{UserID: "usr_leader", Role: tuango.RoleLeader}

	t.Run("bad input is refused and stores nothing", func(t *testing.T) {
		for name, tt := range map[string]struct {
			a           tuango.Actor
			text, order string
			code        string
		}{
			"anonymous":        {tuango.Actor{}, "hi", "", tuango.CodeUnauthorized},
			"a leader's order": {leader, "hi", mine.ID, tuango.CodeNotFound},
			"empty":            {me, "  ", "", tuango.CodeInvalid},
			"too long":         {me, strings.Repeat("长", tuango.MaxFeedbackText+1), "", tuango.CodeInvalid},
			"another's order":  {me, "where is it", theirs.ID, tuango.CodeNotFound},
			"a missing order":  {me, "where is it", "ord_nope", tuango.CodeNotFound},
			"a malformed id":   {me, "where is it", "../x", tuango.CodeNotFound},
		} {
			if _, err := w.svc.SendFeedback(ctx, tt.a, tt.text, tt.order); tuango.ErrorCode(err) != tt.code {
				t.Errorf("%s: SendFeedback = %v, want %s", name, err, tt.code)
			}
		}
		q, err := w.svc.FeedbackQueue(ctx, w.op, tuango.FeedbackFilter{})
		must(t, err)
		if len(q) != 0 {
			t.Errorf("the queue holds %d after refusals", len(q))
		}
	})
	t.Run("sent, queued, handled once", func(t *testing.T) {
		f, err := w.svc.SendFeedback(ctx, me, " 白菜不新鲜 ", mine.ID)
		must(t, err)
		if f.Text != "白菜不新鲜" || f.OrderID != mine.ID {
			t.Errorf("stored %+v", f)
		}
		if _, err := w.svc.FeedbackQueue(ctx, me, tuango.FeedbackFilter{}); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("a customer read the queue: %v", err)
		}
		q, err := w.svc.FeedbackQueue(ctx, w.op, tuango.FeedbackFilter{})
		must(t, err)
		if len(q) != 1 || q[0].ID != f.ID || q[0].UserPhone != "13800000011" {
			t.Fatalf("queue = %+v", q)
		}
		h, err := w.svc.HandleFeedback(ctx, w.op, f.ID)
		must(t, err)
		w.clock.Advance(time.Minute)
		again, err := w.svc.HandleFeedback(ctx, w.op, f.ID) // again: nothing changes
		must(t, err)
		if h.HandledAt.IsZero() || !again.HandledAt.Equal(h.HandledAt) {
			t.Errorf("handled at %v, then %v; want one time", h.HandledAt, again.HandledAt)
		}
		if _, err := w.svc.HandleFeedback(ctx, w.op, "fbk_nope"); !tuango.IsNotFound(err) {
			t.Errorf("HandleFeedback(missing) = %v, want not found", err)
		}
		if _, err := w.svc.HandleFeedback(ctx, me, f.ID); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("a customer handled feedback: %v", err)
		}
		open, err := w.svc.FeedbackQueue(ctx, w.op, tuango.FeedbackFilter{})
		must(t, err)
		done, err := w.svc.FeedbackQueue(ctx, w.op, tuango.FeedbackFilter{Handled: true})
		must(t, err)
		if len(open) != 0 || len(done) != 1 || done[0].HandledBy != w.op.UserID {
			t.Errorf("open %d, handled %+v", len(open), done)
		}
	})
	t.Run("a customer may send a few an hour", func(t *testing.T) {
		for i := 1; i < tuango.MaxFeedbacks; i++ {
			_, err := w.svc.SendFeedback(ctx, me, "还有一件事", "")
			must(t, err)
		}
		_, err := w.svc.SendFeedback(ctx, me, "one too many", "")
		var e *tuango.Error
		if tuango.ErrorCode(err) != tuango.CodeTooManyAttempts || !asError(err, &e) || e.RetryAfter <= 0 || e.RetryAfter > time.Hour {
			t.Fatalf("SendFeedback past the limit = %v, want too many attempts with a wait", err)
		}
		if _, err := w.svc.SendFeedback(ctx, other, "mine is fine", ""); err != nil {
			t.Errorf("another customer was limited too: %v", err)
		}
		w.clock.Advance(time.Hour + time.Second)
		if _, err := w.svc.SendFeedback(ctx, me, "an hour later", ""); err != nil {
			t.Errorf("an hour later: %v", err)
		}
	})
}
