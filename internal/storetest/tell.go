package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// testTell covers announcements, webhooks and their deliveries, noted
// order failures and feedback.
func testTell(t *testing.T, s tuango.Store) {
	t.Run("an announcement is stored once and its cursor moves by a guarded update", func(t *testing.T) {
		ctx := t.Context()
		a := &tuango.Announcement{ID: newID("ann"), Event: "incident.updated", Cities: []string{"cty_a", "cty_b"}, Kind: tuango.NotifyIncident,
			Params: tuango.NotifyParams{Incident: "下单失败", Status: "investigating"}, Payload: json.RawMessage(`{"x":1}`), At: t0(), CreatedAt: t0()}
		must(t, s.AddAnnouncement(ctx, a), "AddAnnouncement")
		again := *a
		again.Event = "other"
		must(t, s.AddAnnouncement(ctx, &again), "AddAnnouncement again")
		got, err := s.FindAnnouncementByID(ctx, a.ID)
		must(t, err, "FindAnnouncementByID")
		if got.Event != "incident.updated" || !slices.Equal(got.Cities, a.Cities) || got.Params != a.Params || string(got.Payload) != `{"x":1}` || !got.At.Equal(t0()) {
			t.Errorf("stored %+v, want the first one as it was", got)
		}
		pending, err := s.FindPendingAnnouncements(ctx, 1000)
		must(t, err, "FindPendingAnnouncements")
		if !slices.ContainsFunc(pending, func(p tuango.Announcement) bool { return p.ID == a.ID }) {
			t.Error("a new announcement is not pending")
		}
		ok, err := s.MoveAnnouncementCursor(ctx, a.ID, "", "usr_5", 5, time.Time{})
		if err != nil || !ok {
			t.Fatalf("MoveAnnouncementCursor from the start = %v, %v", ok, err)
		}
		if ok, err := s.MoveAnnouncementCursor(ctx, a.ID, "", "usr_9", 4, time.Time{}); err != nil || ok {
			t.Errorf("a move from a stale cursor = %v, %v; want refused", ok, err)
		}
		if ok, err := s.MoveAnnouncementCursor(ctx, a.ID, "usr_5", "usr_7", 2, t0()); err != nil || !ok {
			t.Errorf("the last move = %v, %v", ok, err)
		}
		got, _ = s.FindAnnouncementByID(ctx, a.ID)
		if got.Cursor != "usr_7" || got.Told != 7 || !got.DoneAt.Equal(t0()) {
			t.Errorf("after the moves: cursor %q, told %d, done %v", got.Cursor, got.Told, got.DoneAt)
		}
		if ok, _ := s.MoveAnnouncementCursor(ctx, a.ID, "usr_7", "usr_8", 1, time.Time{}); ok {
			t.Error("a done announcement's cursor moved")
		}
		if _, err := s.FindAnnouncementByID(ctx, "ann_missing"); !tuango.IsNotFound(err) {
			t.Errorf("FindAnnouncementByID(missing) = %v, want not found", err)
		}
	})
	t.Run("the audience of a city", func(t *testing.T) {
		ctx := t.Context()
		w, far := newWorld(t, s), newWorld(t, s)
		home := createUser(t, s, tuango.RoleCustomer)
		home.HomePickupPointID = w.point.ID
		must(t, s.UpdateUser(ctx, home), "UpdateUser")
		buyer, lapsed, stranger := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
		d := w.createDeal(t, 10, 5)
		w.createOrder(t, buyer.ID, tuango.OrderPaid, t0(), item{d, 1})
		w.createOrder(t, lapsed.ID, tuango.OrderPaid, t0().AddDate(0, 0, -40), item{d, 1})
		supplier := createUser(t, s, tuango.RoleSupplier)
		supplier.SupplierID = w.product.SupplierID
		must(t, s.UpdateUser(ctx, supplier), "UpdateUser")
		want := []string{home.ID, buyer.ID, w.leader.ID, supplier.ID}
		slices.Sort(want)
		got, err := s.FindAudience(ctx, tuango.Audience{Cities: []string{w.city.ID}, OrderedFrom: t0().AddDate(0, 0, -30), Limit: 100})
		must(t, err, "FindAudience")
		if !slices.Equal(got, want) {
			t.Errorf("audience = %v, want %v (not %s, %s, %s)", got, want, lapsed.ID, stranger.ID, far.leader.ID)
		}
		page, err := s.FindAudience(ctx, tuango.Audience{Cities: []string{w.city.ID}, OrderedFrom: t0().AddDate(0, 0, -30), After: want[1], Limit: 1})
		must(t, err, "FindAudience after")
		if !slices.Equal(page, want[2:3]) {
			t.Errorf("the page after %s = %v, want %v", want[1], page, want[2:3])
		}
		all, err := s.FindAudience(ctx, tuango.Audience{Limit: 100_000})
		must(t, err, "FindAudience everywhere")
		for _, id := range []string{stranger.ID, far.leader.ID, lapsed.ID} {
			if !slices.Contains(all, id) {
				t.Errorf("every city's audience lacks %s", id)
			}
		}
	})
	t.Run("webhook deliveries are queued once and their attempts guarded", func(t *testing.T) {
		ctx := t.Context()
		h := &tuango.Webhook{ID: newID("whk"), URL: "https://example.com/in", Secret: "0123456789abcdef", Events: []string{"incident.updated", "*"}, CreatedBy: "usr_op", CreatedAt: t0()}
		must(t, s.CreateWebhook(ctx, h), "CreateWebhook")
		hooks, err := s.FindWebhooks(ctx)
		must(t, err, "FindWebhooks")
		i := slices.IndexFunc(hooks, func(x tuango.Webhook) bool { return x.ID == h.ID })
		if i < 0 || hooks[i].Secret != h.Secret || !slices.Equal(hooks[i].Events, h.Events) {
			t.Fatalf("webhooks = %+v, want %+v among them", hooks, h)
		}
		a := &tuango.Announcement{ID: newID("ann"), Event: "incident.updated", Kind: tuango.NotifyIncident, Payload: json.RawMessage(`{}`), At: t0(), CreatedAt: t0()}
		must(t, s.AddAnnouncement(ctx, a), "AddAnnouncement")
		d := &tuango.WebhookDelivery{ID: newID("whd"), WebhookID: h.ID, AnnouncementID: a.ID, Event: a.Event, Body: `{"id":"x"}`, Status: tuango.DeliveryPending, NextAt: t0(), CreatedAt: t0()}
		if ok, err := s.QueueWebhookDeliveries(ctx, a.ID, []*tuango.WebhookDelivery{d}); err != nil || !ok {
			t.Fatalf("QueueWebhookDeliveries = %v, %v", ok, err)
		}
		dup := *d
		dup.ID = newID("whd")
		if ok, err := s.QueueWebhookDeliveries(ctx, a.ID, []*tuango.WebhookDelivery{&dup}); err != nil || ok {
			t.Errorf("queueing again = %v, %v; want nothing done", ok, err)
		}
		due, err := s.FindDueDeliveries(ctx, t0(), 1000)
		must(t, err, "FindDueDeliveries")
		j := slices.IndexFunc(due, func(x tuango.WebhookDelivery) bool { return x.WebhookID == h.ID })
		if j < 0 || due[j].ID != d.ID || due[j].URL != h.URL || due[j].Secret != h.Secret || due[j].Body != d.Body {
			t.Fatalf("due = %+v, want %s with its webhook's URL and secret", due, d.ID)
		}
		if ok, err := s.ClaimDelivery(ctx, d.ID, 0, t0(), t0().Add(30*time.Second)); err != nil || !ok {
			t.Fatalf("ClaimDelivery = %v, %v", ok, err)
		}
		if ok, _ := s.ClaimDelivery(ctx, d.ID, 0, t0(), t0().Add(30*time.Second)); ok {
			t.Error("a delivery was claimed twice")
		}
		if due, _ := s.FindDueDeliveries(ctx, t0(), 1000); slices.ContainsFunc(due, func(x tuango.WebhookDelivery) bool { return x.ID == d.ID }) {
			t.Error("a claimed delivery is still due")
		}
		d.Attempts, d.NextAt, d.LastError = 1, t0().Add(time.Minute), "503"
		if ok, err := s.FinishDeliveryAttempt(ctx, d, 0); err != nil || !ok {
			t.Fatalf("FinishDeliveryAttempt = %v, %v", ok, err)
		}
		if ok, _ := s.FinishDeliveryAttempt(ctx, d, 0); ok {
			t.Error("a second record of the same attempt was written")
		}
		if due, _ := s.FindDueDeliveries(ctx, t0(), 1000); slices.ContainsFunc(due, func(x tuango.WebhookDelivery) bool { return x.ID == d.ID }) {
			t.Error("a delivery waiting for its retry is due")
		}
		ds, err := s.FindDeliveries(ctx, tuango.DeliveryFilter{WebhookID: h.ID, Limit: 10})
		must(t, err, "FindDeliveries")
		if len(ds) != 1 || ds[0].Attempts != 1 || ds[0].LastError != "503" || !ds[0].NextAt.Equal(t0().Add(time.Minute)) {
			t.Errorf("deliveries = %+v", ds)
		}
		before, err := s.CountDeliveries(ctx)
		must(t, err, "CountDeliveries")
		if ok, err := s.DeleteWebhook(ctx, h.ID, t0()); err != nil || !ok {
			t.Fatalf("DeleteWebhook = %v, %v", ok, err)
		}
		if ok, _ := s.DeleteWebhook(ctx, h.ID, t0()); ok {
			t.Error("a deleted webhook was deleted again")
		}
		after, _ := s.CountDeliveries(ctx)
		if after[tuango.DeliveryFailed] != before[tuango.DeliveryFailed]+1 || after[tuango.DeliveryPending] != before[tuango.DeliveryPending]-1 {
			t.Errorf("counts %v then %v: want its pending delivery failed", before, after)
		}
		if ds, _ := s.FindDeliveries(ctx, tuango.DeliveryFilter{WebhookID: h.ID, Status: tuango.DeliveryFailed, Limit: 10}); len(ds) != 1 {
			t.Errorf("failed deliveries of the deleted webhook = %+v", ds)
		}
		hooks, _ = s.FindWebhooks(ctx)
		if slices.ContainsFunc(hooks, func(x tuango.Webhook) bool { return x.ID == h.ID }) {
			t.Error("a deleted webhook is still listed")
		}
	})
	t.Run("an incident's customers: failed and delayed, in its window and cities", func(t *testing.T) {
		ctx := t.Context()
		w, far := newWorld(t, s), newWorld(t, s)
		from, to := t0(), t0().Add(time.Hour)
		failed, delayed, newcomer, early, farFailed := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer),
			createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
		failed.HomePickupPointID = w.point.ID
		must(t, s.UpdateUser(ctx, failed), "UpdateUser")
		farFailed.HomePickupPointID = far.point.ID
		must(t, s.UpdateUser(ctx, farFailed), "UpdateUser")
		d := w.createDeal(t, 10, 5)
		o := w.createOrder(t, delayed.ID, tuango.OrderPendingPayment, from.Add(-5*time.Minute), item{d, 1})
		o.Status, o.CancelReason, o.CancelledAt = tuango.OrderCancelled, tuango.CancelExpired, from.Add(20*time.Minute)
		if ok, err := s.UpdateOrderStatus(ctx, o, tuango.OrderPendingPayment); err != nil || !ok {
			t.Fatalf("expire the order: %v, %v", ok, err)
		}
		paidLate := w.createOrder(t, createUser(t, s, tuango.RoleCustomer).ID, tuango.OrderPaid, from.Add(-5*time.Minute), item{d, 1})
		_ = paidLate // its deadline is in the window, but it was paid: not delayed
		fs := []tuango.OrderFailure{
			{ID: newID("ofl"), UserID: failed.ID, At: from.Add(time.Minute), Attempts: 3},
			{ID: newID("ofl"), UserID: newcomer.ID, At: to, Attempts: 1},
			{ID: newID("ofl"), UserID: early.ID, At: from.Add(-time.Second), Attempts: 1},
			{ID: newID("ofl"), UserID: farFailed.ID, At: from.Add(time.Minute), Attempts: 1},
		}
		must(t, s.AddOrderFailures(ctx, fs), "AddOrderFailures")
		must(t, s.AddOrderFailures(ctx, fs[:1]), "AddOrderFailures again")
		got, err := s.FindApologyCustomers(ctx, tuango.ApologyFilter{From: from, To: to, Cities: []string{w.city.ID}, OrderedFrom: from.AddDate(0, 0, -30)})
		must(t, err, "FindApologyCustomers")
		want := []string{failed.ID, delayed.ID, newcomer.ID}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("customers = %v, want %v", got, want)
		}
		everywhere, err := s.FindApologyCustomers(ctx, tuango.ApologyFilter{From: from, To: to, OrderedFrom: from.AddDate(0, 0, -30)})
		must(t, err, "FindApologyCustomers everywhere")
		if !slices.Contains(everywhere, farFailed.ID) || slices.Contains(everywhere, early.ID) {
			t.Errorf("every city's customers = %v: want %s, not %s", everywhere, farFailed.ID, early.ID)
		}
	})
	t.Run("feedback is queued, counted and handled once", func(t *testing.T) {
		ctx := t.Context()
		u := createUser(t, s, tuango.RoleCustomer)
		f := &tuango.Feedback{ID: newID("fbk"), UserID: u.ID, OrderID: "ord_x", Text: "鸡蛋碎了", CreatedAt: t0()}
		must(t, s.AddFeedback(ctx, f), "AddFeedback")
		must(t, s.AddFeedback(ctx, &tuango.Feedback{ID: newID("fbk"), UserID: u.ID, Text: "later", CreatedAt: t0().Add(time.Minute)}), "AddFeedback")
		n, oldest, err := s.CountFeedback(ctx, u.ID, t0())
		if err != nil || n != 2 || !oldest.Equal(t0()) {
			t.Errorf("CountFeedback = %d, %v, %v; want 2 from t0", n, oldest, err)
		}
		if n, _, _ := s.CountFeedback(ctx, u.ID, t0().Add(time.Second)); n != 1 {
			t.Errorf("CountFeedback since later = %d, want 1", n)
		}
		got, err := s.FindFeedbackByID(ctx, f.ID)
		must(t, err, "FindFeedbackByID")
		if got.Text != f.Text || got.OrderID != "ord_x" || got.UserPhone != u.Phone || got.UserName != u.Name {
			t.Errorf("found %+v", got)
		}
		if ok, err := s.MarkFeedbackHandled(ctx, f.ID, "usr_op", t0().Add(time.Hour)); err != nil || !ok {
			t.Fatalf("MarkFeedbackHandled = %v, %v", ok, err)
		}
		if ok, _ := s.MarkFeedbackHandled(ctx, f.ID, "usr_op2", t0().Add(2*time.Hour)); ok {
			t.Error("handled feedback was handled again")
		}
		open, err := s.FindFeedback(ctx, tuango.FeedbackFilter{Limit: 10_000})
		must(t, err, "FindFeedback")
		if slices.ContainsFunc(open, func(x tuango.Feedback) bool { return x.ID == f.ID }) {
			t.Error("handled feedback is in the open queue")
		}
		done, err := s.FindFeedback(ctx, tuango.FeedbackFilter{Handled: true, Limit: 10_000})
		must(t, err, "FindFeedback handled")
		i := slices.IndexFunc(done, func(x tuango.Feedback) bool { return x.ID == f.ID })
		if i < 0 || done[i].HandledBy != "usr_op" || !done[i].HandledAt.Equal(t0().Add(time.Hour)) {
			t.Errorf("handled = %+v", done)
		}
		if _, err := s.FindFeedbackByID(ctx, "fbk_missing"); !tuango.IsNotFound(err) {
			t.Errorf("FindFeedbackByID(missing) = %v, want not found", err)
		}
	})
}
