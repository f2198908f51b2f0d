package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testPayment(t *testing.T, s tuango.Store) {
	// orderToPay makes a world, a customer and an order to pay for.
	orderToPay := func(t *testing.T) (*world, *tuango.Order) {
		t.Helper()
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		return w, w.createOrder(t, u.ID, tuango.OrderPendingPayment, t0(), item{w.createDeal(t, 10, 5), 2})
	}

	t.Run("payment round-trips and records its pay URL", func(t *testing.T) {
		w, o := orderToPay(t)
		p := w.createPayment(t, o, t0())
		got, err := s.FindPaymentByID(t.Context(), p.ID)
		must(t, err, "FindPaymentByID(%s)", p.ID)
		wantEqual(t, got, p, "FindPaymentByID(%s)", p.ID)

		p.PayURL = "https://pay.example/" + p.ID
		must(t, s.UpdatePayment(t.Context(), p), "UpdatePayment(%s)", p.ID)
		got, err = s.FindPaymentByID(t.Context(), p.ID)
		must(t, err, "FindPaymentByID(%s)", p.ID)
		wantEqual(t, got, p, "FindPaymentByID(%s) after UpdatePayment", p.ID)
	})

	t.Run("missing payment is not found", func(t *testing.T) {
		p := &tuango.Payment{ID: newID("missing"), PayURL: "https://pay.example/x"}
		_, err := s.FindPaymentByID(t.Context(), p.ID)
		wantNotFound(t, err, "FindPaymentByID(%s)", p.ID)
		wantNotFound(t, s.UpdatePayment(t.Context(), p), "UpdatePayment(%s)", p.ID)
	})

	t.Run("payments are listed oldest first by order, status and age", func(t *testing.T) {
		w, o := orderToPay(t)
		second := w.createPayment(t, o, t0().Add(time.Minute))
		first := w.createPayment(t, o, t0())
		_, otherOrder := orderToPay(t)
		other := w.createPayment(t, otherOrder, t0())
		ok, err := s.SetPaymentStatus(t.Context(), first.ID, tuango.PaymentPending, tuango.PaymentFailed, "", t0())
		wantOK(t, ok, err, true, "SetPaymentStatus(pending → failed)")

		tests := []struct {
			name string
			f    tuango.PaymentFilter
			want []string
		}{
			{"by order", tuango.PaymentFilter{OrderID: o.ID}, []string{first.ID, second.ID}},
			{"by order, limit 1", tuango.PaymentFilter{OrderID: o.ID, Limit: 1}, []string{first.ID}},
			{"by order and status", tuango.PaymentFilter{OrderID: o.ID, Status: tuango.PaymentPending}, []string{second.ID}},
			{"pending created before t0+1m", tuango.PaymentFilter{Status: tuango.PaymentPending, CreatedBefore: t0().Add(time.Minute)}, []string{other.ID}},
		}
		for _, tt := range tests {
			got, err := s.FindPayments(t.Context(), tt.f)
			must(t, err, "FindPayments(%s)", tt.name)
			gotIDs := ids(got, paymentID)
			if tt.f.OrderID == "" {
				gotIDs = only(gotIDs, first.ID, second.ID, other.ID)
			}
			wantIDs(t, gotIDs, tt.want, "FindPayments(%s)", tt.name)
		}
	})

	t.Run("SetPaymentStatus moves only from the given status", func(t *testing.T) {
		w, o := orderToPay(t)
		p := w.createPayment(t, o, t0())
		at := t0().Add(time.Minute)
		ok, err := s.SetPaymentStatus(t.Context(), p.ID, tuango.PaymentPending, tuango.PaymentSucceeded, "wx_txn_1", at)
		wantOK(t, ok, err, true, "SetPaymentStatus(pending → succeeded)")
		ok, err = s.SetPaymentStatus(t.Context(), p.ID, tuango.PaymentPending, tuango.PaymentSucceeded, "wx_txn_2", at.Add(time.Second))
		wantOK(t, ok, err, false, "SetPaymentStatus(pending → succeeded) again")
		ok, err = s.SetPaymentStatus(t.Context(), p.ID, tuango.PaymentPending, tuango.PaymentFailed, "", at)
		wantOK(t, ok, err, false, "SetPaymentStatus(pending → failed) of a succeeded payment")

		p.Status, p.ProviderTxnID, p.SucceededAt = tuango.PaymentSucceeded, "wx_txn_1", at
		got, err := s.FindPaymentByID(t.Context(), p.ID)
		must(t, err, "FindPaymentByID(%s)", p.ID)
		wantEqual(t, got, p, "FindPaymentByID(%s) after the moves", p.ID)
	})

	t.Run("RecordProviderEvent is new once", func(t *testing.T) {
		event := newID("evt")
		steps := []struct {
			provider string
			want     bool
		}{
			{"sandbox", true},
			{"sandbox", false},
			{"wechat", true},
			{"wechat", false},
		}
		for _, st := range steps {
			ok, err := s.RecordProviderEvent(t.Context(), st.provider, event, t0())
			wantOK(t, ok, err, st.want, "RecordProviderEvent(%s, %s)", st.provider, event)
		}
	})

	t.Run("second refund of a payment is conflict and the transaction still commits", func(t *testing.T) {
		for _, sameTx := range []bool{false, true} {
			w, o := orderToPay(t)
			p := w.createPayment(t, o, t0())
			first, second := refundOf(p, t0()), refundOf(p, t0().Add(time.Second))
			if !sameTx {
				must(t, s.CreateRefund(t.Context(), first), "CreateRefund(%s)", first.ID)
			}
			city := &tuango.City{ID: newID("cty"), Name: "岳阳", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}
			err := s.InTx(t.Context(), func(tx tuango.Store) error {
				if sameTx {
					if err := tx.CreateRefund(t.Context(), first); err != nil {
						return err
					}
				}
				wantCode(t, tx.CreateRefund(t.Context(), second), tuango.CodeConflict, "CreateRefund(%s) of refunded payment (same tx %v)", second.ID, sameTx)
				return tx.CreateCity(t.Context(), city)
			})
			if err != nil {
				t.Errorf("InTx(refund twice, then create city) (same tx %v) = %v, want nil", sameTx, err)
			}
			if _, err := s.FindCityByID(t.Context(), city.ID); err != nil {
				t.Errorf("FindCityByID(%s) written after the refused refund (same tx %v) = %v, want it committed", city.ID, sameTx, err)
			}
			got, err := s.FindRefunds(t.Context(), p.ID, "", 0)
			must(t, err, "FindRefunds(%s)", p.ID)
			wantEqual(t, got, []tuango.Refund{*first}, "FindRefunds(%s) (same tx %v)", p.ID, sameTx)
		}
	})

	t.Run("refunds are listed by payment and status and move once", func(t *testing.T) {
		w, o := orderToPay(t)
		p1, p2 := w.createPayment(t, o, t0()), w.createPayment(t, o, t0())
		r2, r1 := refundOf(p2, t0().Add(time.Minute)), refundOf(p1, t0())
		must(t, s.CreateRefund(t.Context(), r2), "CreateRefund(%s)", r2.ID)
		must(t, s.CreateRefund(t.Context(), r1), "CreateRefund(%s)", r1.ID)

		pending, err := s.FindRefunds(t.Context(), "", tuango.RefundPending, 0)
		must(t, err, "FindRefunds(pending)")
		wantIDs(t, only(ids(pending, refundID), r1.ID, r2.ID), []string{r1.ID, r2.ID}, "FindRefunds(pending)")
		limited, err := s.FindRefunds(t.Context(), "", tuango.RefundPending, 1)
		must(t, err, "FindRefunds(pending, limit 1)")
		if len(limited) != 1 {
			t.Errorf("FindRefunds(pending, limit 1) = %d refunds, want 1", len(limited))
		}

		done := t0().Add(time.Hour)
		ok, err := s.SetRefundStatus(t.Context(), r1.ID, tuango.RefundPending, tuango.RefundSucceeded, done)
		wantOK(t, ok, err, true, "SetRefundStatus(pending → succeeded)")
		ok, err = s.SetRefundStatus(t.Context(), r1.ID, tuango.RefundPending, tuango.RefundSucceeded, done.Add(time.Second))
		wantOK(t, ok, err, false, "SetRefundStatus(pending → succeeded) again")
		ok, err = s.SetRefundStatus(t.Context(), newID("missing"), tuango.RefundPending, tuango.RefundSucceeded, done)
		wantOK(t, ok, err, false, "SetRefundStatus(missing refund)")

		r1.Status, r1.CompletedAt = tuango.RefundSucceeded, done
		got, err := s.FindRefunds(t.Context(), p1.ID, "", 0)
		must(t, err, "FindRefunds(%s)", p1.ID)
		wantEqual(t, got, []tuango.Refund{*r1}, "FindRefunds(%s) after success", p1.ID)
		got, err = s.FindRefunds(t.Context(), p1.ID, tuango.RefundPending, 0)
		must(t, err, "FindRefunds(%s, pending)", p1.ID)
		wantIDs(t, ids(got, refundID), nil, "FindRefunds(%s, pending) after success", p1.ID)
		pending, err = s.FindRefunds(t.Context(), "", tuango.RefundPending, 0)
		must(t, err, "FindRefunds(pending)")
		wantIDs(t, only(ids(pending, refundID), r1.ID, r2.ID), []string{r2.ID}, "FindRefunds(pending) after success")
	})

	t.Run("cancel refunds of many orders are found at once", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		deal := w.createDeal(t, 50, 10)
		order := func() *tuango.Order { return w.createOrder(t, u.ID, tuango.OrderCancelled, t0(), item{deal, 1}) }
		// pay makes a payment of o in status st and, unless reason is
		// empty, a whole refund of it for reason.
		pay := func(o *tuango.Order, st tuango.PaymentStatus, reason string, at time.Time) *tuango.Refund {
			t.Helper()
			p := w.createPayment(t, o, at)
			if st != tuango.PaymentPending {
				ok, err := s.SetPaymentStatus(t.Context(), p.ID, tuango.PaymentPending, st, "txn_"+p.ID, at)
				wantOK(t, ok, err, true, "SetPaymentStatus(%s → %s)", p.ID, st)
			}
			if reason == "" {
				return nil
			}
			r := refundOf(p, at.Add(time.Minute))
			r.Reason = reason
			must(t, s.CreateRefund(t.Context(), r), "CreateRefund(%s)", r.ID)
			return r
		}
		twice, once, none, unpaid, partial, lone := order(), order(), order(), order(), order(), order()
		// twice was paid twice (a late payment landing after the first) and
		// both payments were refunded: the later refund is created first
		// and already paid out.
		second := pay(twice, tuango.PaymentSucceeded, tuango.RefundOrderCancelled, t0().Add(time.Hour))
		done := t0().Add(2 * time.Hour)
		ok, err := s.SetRefundStatus(t.Context(), second.ID, tuango.RefundPending, tuango.RefundSucceeded, done)
		wantOK(t, ok, err, true, "SetRefundStatus(%s → succeeded)", second.ID)
		second.Status, second.CompletedAt = tuango.RefundSucceeded, done
		first := pay(twice, tuango.PaymentSucceeded, tuango.RefundOrderCancelled, t0())
		onlyOne := pay(once, tuango.PaymentSucceeded, tuango.RefundOrderCancelled, t0())
		pay(none, tuango.PaymentSucceeded, "", t0())                         // paid, not refunded
		pay(unpaid, tuango.PaymentFailed, tuango.RefundOrderCancelled, t0()) // a failed payment refunds nothing
		pay(partial, tuango.PaymentSucceeded, tuango.RefundShortage, t0())   // another reason
		pl := w.createPayment(t, partial, t0())                              // and a refund of a line
		ok, err = s.SetPaymentStatus(t.Context(), pl.ID, tuango.PaymentPending, tuango.PaymentSucceeded, "txn_"+pl.ID, t0())
		wantOK(t, ok, err, true, "SetPaymentStatus(%s → succeeded)", pl.ID)
		line := &tuango.Refund{ID: newID("rfd"), PaymentID: pl.ID, OrderID: partial.ID, AmountFen: 100, Reason: tuango.RefundOrderCancelled,
			LineNo: 1, Quantity: 1, Status: tuango.RefundPending, CreatedAt: t0()}
		must(t, s.CreateRefund(t.Context(), line), "CreateRefund(%s, line 1)", line.ID)
		loneRefund := pay(lone, tuango.PaymentSucceeded, tuango.RefundOrderCancelled, t0())

		tests := []struct {
			name string
			ids  []string
			want []tuango.Refund
		}{
			{"none asked", nil, nil},
			{"one order", []string{once.ID}, []tuango.Refund{*onlyOne}},
			{"a page of orders, each order's oldest first", []string{none.ID, twice.ID, unpaid.ID, once.ID, partial.ID},
				[]tuango.Refund{*first, *onlyOne, *second}},
			{"an order asked twice", []string{lone.ID, lone.ID}, []tuango.Refund{*loneRefund}},
			{"orders without one", []string{none.ID, unpaid.ID, partial.ID, newID("missing")}, nil},
		}
		for _, tt := range tests {
			got, err := s.FindCancelRefunds(t.Context(), tt.ids)
			must(t, err, "FindCancelRefunds(%s)", tt.name)
			wantEqual(t, byOrder(got), byOrder(tt.want), "FindCancelRefunds(%s)", tt.name)
		}

		// More orders than one statement's list: every order's refund is
		// found, once.
		var many []string
		want := map[string][]tuango.Refund{}
		for range 130 {
			o := order()
			many = append(many, o.ID)
			want[o.ID] = []tuango.Refund{*pay(o, tuango.PaymentSucceeded, tuango.RefundOrderCancelled, t0())}
		}
		got, err := s.FindCancelRefunds(t.Context(), many)
		must(t, err, "FindCancelRefunds(130 orders)")
		wantEqual(t, byOrder(got), want, "FindCancelRefunds(130 orders)")
	})
}

// byOrder groups refunds by their order, keeping their order within each.
func byOrder(rs []tuango.Refund) map[string][]tuango.Refund {
	out := map[string][]tuango.Refund{}
	for _, r := range rs {
		out[r.OrderID] = append(out[r.OrderID], r)
	}
	return out
}

func paymentID(p tuango.Payment) string { return p.ID }
func refundID(r tuango.Refund) string   { return r.ID }
