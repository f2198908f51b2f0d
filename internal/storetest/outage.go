package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testOutage(t *testing.T, s tuango.Store) {
	at := func(d time.Duration) time.Time { return t0().Add(d) }
	down := func(provider, node string, started, seen time.Time) {
		t.Helper()
		must(t, s.MarkProviderDown(t.Context(), &tuango.ProviderOutage{ID: newID("out"), Provider: provider, StartedAt: started, SeenAt: seen, OpenedBy: node}), "MarkProviderDown(%s)", node)
	}
	find := func(provider string, since time.Time) []tuango.ProviderOutage {
		t.Helper()
		got, err := s.FindProviderOutages(t.Context(), provider, since)
		must(t, err, "FindProviderOutages")
		return got
	}

	t.Run("two nodes reporting one outage keep one open row, the latest sighting wins", func(t *testing.T) {
		p := newID("prov")
		down(p, "node-a", at(0), at(time.Second))
		down(p, "node-b", at(-time.Second), at(5*time.Second))
		down(p, "node-a", at(0), at(3*time.Second)) // an older sighting changes nothing
		got := find(p, at(-time.Hour))
		if len(got) != 1 {
			t.Fatalf("FindProviderOutages = %d outages, want 1: %+v", len(got), got)
		}
		o := got[0]
		if !o.StartedAt.Equal(at(0)) || !o.SeenAt.Equal(at(5*time.Second)) || o.OpenedBy != "node-a" || !o.EndedAt.IsZero() {
			t.Errorf("outage = %+v, want started %v by node-a, seen %v, open", o, at(0), at(5*time.Second))
		}
		if other := find(newID("prov"), at(-time.Hour)); len(other) != 0 {
			t.Errorf("another provider's outages = %+v, want none", other)
		}
	})

	t.Run("an outage ends only on an answer after its last sighting", func(t *testing.T) {
		p := newID("prov")
		down(p, "node-a", at(0), at(10*time.Second))
		ok, err := s.EndProviderOutage(t.Context(), p, "node-b", at(5*time.Second))
		wantOK(t, ok, err, false, "EndProviderOutage(answer before the last sighting)")
		ok, err = s.EndProviderOutage(t.Context(), p, "node-b", at(11*time.Second))
		wantOK(t, ok, err, true, "EndProviderOutage(answer after)")
		ok, err = s.EndProviderOutage(t.Context(), p, "node-a", at(12*time.Second))
		wantOK(t, ok, err, false, "EndProviderOutage(again)")
		got := find(p, at(0))
		if len(got) != 1 || !got[0].EndedAt.Equal(at(11*time.Second)) || got[0].EndedBy != "node-b" {
			t.Fatalf("outages = %+v, want one ended at %v by node-b", got, at(11*time.Second))
		}
		if late := find(p, at(12*time.Second)); len(late) != 0 {
			t.Errorf("outages ended since %v = %+v, want none", at(12*time.Second), late)
		}
		down(p, "node-c", at(20*time.Second), at(20*time.Second)) // a new failure opens a new outage
		if got := find(p, at(0)); len(got) != 2 || !got[0].StartedAt.Equal(at(20*time.Second)) || !got[0].EndedAt.IsZero() {
			t.Errorf("outages = %+v, want the new open one first, then the ended one", got)
		}
	})

	t.Run("an outage nobody reports lapses at its last sighting", func(t *testing.T) {
		p := newID("prov")
		down(p, "node-a", at(0), at(30*time.Second))
		n, err := s.LapseProviderOutages(t.Context(), p, at(30*time.Second))
		if err != nil || n != 0 {
			t.Errorf("LapseProviderOutages(seen at the limit) = %d, %v, want 0", n, err)
		}
		n, err = s.LapseProviderOutages(t.Context(), p, at(31*time.Second))
		if err != nil || n != 1 {
			t.Errorf("LapseProviderOutages = %d, %v, want 1", n, err)
		}
		if got := find(p, at(0)); len(got) != 1 || !got[0].EndedAt.Equal(at(30*time.Second)) || got[0].EndedBy != "lapsed" {
			t.Errorf("outages = %+v, want one ended at its last sighting, lapsed", got)
		}
	})

	t.Run("ExtendPaymentDeadlines moves unpaid deadlines in the span, never past the sale end nor earlier", func(t *testing.T) {
		// Far from t0, so that other subtests' orders are not in the span.
		base := at(5000 * time.Hour)
		w := newWorld(t, s)
		deal := func(saleEnd time.Time) *tuango.Deal {
			d := w.dealOn(100, 50)
			d.SaleEndsAt = saleEnd
			must(t, s.CreateDeal(t.Context(), d), "CreateDeal")
			return d
		}
		long, short := deal(base.Add(10*time.Hour)), deal(base.Add(40*time.Minute))
		u := createUser(t, s, tuango.RoleCustomer)
		order := func(status tuango.OrderStatus, due time.Time, d *tuango.Deal) *tuango.Order {
			o := w.orderOf(u.ID, status, due.Add(-tuango.DefaultOrderTimeout), item{d, 1})
			must(t, s.CreateOrder(t.Context(), o), "CreateOrder")
			return o
		}
		before := order(tuango.OrderPendingPayment, base.Add(-time.Second), long)
		inside := order(tuango.OrderPendingPayment, base.Add(10*time.Minute), long)
		edge := order(tuango.OrderPendingPayment, base.Add(20*time.Minute), long)
		capped := order(tuango.OrderPendingPayment, base.Add(15*time.Minute), short)
		paid := order(tuango.OrderPaid, base.Add(10*time.Minute), long)
		after := order(tuango.OrderPendingPayment, base.Add(21*time.Minute), long)
		atEnd := order(tuango.OrderPendingPayment, base.Add(40*time.Minute), short) // due at its sale end: cannot move

		until := base.Add(time.Hour)
		n, err := s.ExtendPaymentDeadlines(t.Context(), base, base.Add(20*time.Minute), until)
		if err != nil || n != 3 {
			t.Errorf("ExtendPaymentDeadlines = %d, %v, want 3 (inside, edge, capped)", n, err)
		}
		want := map[*tuango.Order]time.Time{before: before.ExpiresAt, inside: until, edge: until, capped: base.Add(40 * time.Minute),
			paid: paid.ExpiresAt, after: after.ExpiresAt, atEnd: atEnd.ExpiresAt}
		for o, due := range want {
			got, err := s.FindOrderByID(t.Context(), o.ID)
			must(t, err, "FindOrderByID")
			if !got.ExpiresAt.Equal(due) {
				t.Errorf("order due %v (%s): expires %v, want %v", o.ExpiresAt, o.Status, got.ExpiresAt, due)
			}
		}
		n, err = s.ExtendPaymentDeadlines(t.Context(), base, base.Add(2*time.Hour), base.Add(20*time.Minute))
		if err != nil || n != 0 {
			t.Errorf("ExtendPaymentDeadlines(to an earlier time) = %d, %v, want 0: a deadline never moves earlier", n, err)
		}
	})
}
