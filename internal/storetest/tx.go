package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testTx(t *testing.T, s tuango.Store) {
	errAbort := errors.New("storetest: abort")
	newCity := func() *tuango.City {
		return &tuango.City{ID: newID("cty"), Name: "湘潭", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}
	}
	wantCity := func(t *testing.T, c *tuango.City, exists bool, when string) {
		t.Helper()
		_, err := s.FindCityByID(t.Context(), c.ID)
		switch {
		case exists && err != nil:
			t.Errorf("FindCityByID(%s) %s = %v, want the city", c.ID, when, err)
		case !exists && !tuango.IsNotFound(err):
			t.Errorf("FindCityByID(%s) %s = %v, want not_found", c.ID, when, err)
		}
	}

	t.Run("InTx commits when fn returns nil", func(t *testing.T) {
		c := newCity()
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			if err := tx.CreateCity(t.Context(), c); err != nil {
				return err
			}
			got, err := tx.FindCityByID(t.Context(), c.ID)
			if err != nil {
				t.Errorf("FindCityByID(%s) inside the transaction = %v, want its own write", c.ID, err)
			} else {
				wantEqual(t, got, c, "FindCityByID(%s) inside the transaction", c.ID)
			}
			return nil
		})
		must(t, err, "InTx(create city)")
		wantCity(t, c, true, "after commit")
	})

	t.Run("a context bound to a transaction joins it", func(t *testing.T) {
		if got := s.Bind(t.Context()); got != t.Context() {
			t.Errorf("Bind outside a transaction changed the context")
		}
		inner, outer, nested := newCity(), newCity(), newCity()
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			bound := tx.Bind(t.Context())
			// The store outside the transaction, with the bound context:
			// its write and read are the transaction's (on SQLite, a write
			// of its own would wait for the writer the transaction holds).
			if err := s.CreateCity(bound, outer); err != nil {
				return err
			}
			if _, err := s.FindCityByID(bound, outer.ID); err != nil {
				return fmt.Errorf("FindCityByID(%s) with the bound context = %v, want the transaction's own write", outer.ID, err)
			}
			if err := s.InTx(bound, func(tx tuango.Store) error { return tx.CreateCity(t.Context(), nested) }); err != nil {
				return err
			}
			if err := tx.CreateCity(t.Context(), inner); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Errorf("InTx(fn returning errAbort) = %v, want errAbort", err)
		}
		for _, c := range []*tuango.City{inner, outer, nested} {
			wantCity(t, c, false, "after the bound transaction rolled back")
		}
	})

	t.Run("InTx rolls back everything when fn returns an error", func(t *testing.T) {
		w := newWorld(t, s)
		d := w.createDeal(t, 10, 5)
		u := createUser(t, s, tuango.RoleCustomer)
		c := newCity()
		o := w.orderOf(u.ID, tuango.OrderPendingPayment, t0(), item{d, 2})
		// No t.Fatal inside fn: it would leave the transaction open.
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			if err := tx.CreateCity(t.Context(), c); err != nil {
				return err
			}
			if ok, err := tx.ReserveStock(t.Context(), d.ID, 2); !ok || err != nil {
				return fmt.Errorf("ReserveStock(2) = %v, %v", ok, err)
			}
			if err := tx.AddLimitUnits(t.Context(), []tuango.LimitUnits{{UserID: u.ID, DealID: d.ID, Units: 2}}); err != nil {
				return err
			}
			if err := tx.CreateOrder(t.Context(), o); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Errorf("InTx(fn returning errAbort) = %v, want errAbort", err)
		}
		wantCity(t, c, false, "after rollback")
		wantDeal(t, s, d.ID, 10, 0)
		_, err = s.FindOrderByID(t.Context(), o.ID)
		wantNotFound(t, err, "FindOrderByID(%s) after rollback", o.ID)
		units, err := s.FindLimitUnits(t.Context(), d.ID, []string{u.ID})
		must(t, err, "FindLimitUnits after rollback")
		if len(units) != 0 {
			t.Errorf("limit units after rollback = %v, want none", units)
		}
	})

	t.Run("InTx rolls back and panics again when fn panics", func(t *testing.T) {
		c := newCity()
		func() {
			defer func() {
				if p := recover(); p != "storetest: boom" {
					t.Errorf("InTx(fn that panics) recovered %v, want the panic passed on", p)
				}
			}()
			err := s.InTx(t.Context(), func(tx tuango.Store) error {
				if err := tx.CreateCity(t.Context(), c); err != nil {
					return err
				}
				panic("storetest: boom")
			})
			t.Errorf("InTx(fn that panics) = %v, want a panic", err)
		}()
		wantCity(t, c, false, "after a panic")
		must(t, s.CreateCity(t.Context(), newCity()), "CreateCity after a panic")
	})

	t.Run("nested InTx joins the outer transaction", func(t *testing.T) {
		tests := []struct {
			name        string
			inner       error
			outer       error
			wantCommits bool
		}{
			{"both commit", nil, nil, true},
			{"outer error undoes the inner's writes", nil, errAbort, false},
			{"inner error returned by outer undoes both", errAbort, errAbort, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				outerCity, innerCity := newCity(), newCity()
				err := s.InTx(t.Context(), func(tx tuango.Store) error {
					if err := tx.CreateCity(t.Context(), outerCity); err != nil {
						return err
					}
					err := tx.InTx(t.Context(), func(inner tuango.Store) error {
						if _, err := inner.FindCityByID(t.Context(), outerCity.ID); err != nil {
							t.Errorf("FindCityByID(outer's city) in the nested InTx = %v, want the outer's write", err)
						}
						if err := inner.CreateCity(t.Context(), innerCity); err != nil {
							return err
						}
						return tt.inner
					})
					if !errors.Is(err, tt.inner) {
						t.Errorf("nested InTx = %v, want %v", err, tt.inner)
					}
					if _, err := tx.FindCityByID(t.Context(), innerCity.ID); err != nil {
						t.Errorf("FindCityByID(inner's city) in the outer InTx = %v, want the inner's write", err)
					}
					return tt.outer
				})
				if !errors.Is(err, tt.outer) {
					t.Errorf("InTx = %v, want %v", err, tt.outer)
				}
				wantCity(t, outerCity, tt.wantCommits, "(outer's) after InTx")
				wantCity(t, innerCity, tt.wantCommits, "(inner's) after InTx")
			})
		}
	})

	t.Run("times round-trip in UTC truncated to microseconds", func(t *testing.T) {
		// A zone east of UTC and a nanosecond part the store must drop.
		at := time.Date(2026, 11, 25, 20, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
		want := time.Date(2026, 11, 25, 12, 0, 0, 123456000, time.UTC)
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)

		d := w.dealOn(10, 5)
		d.SaleStartsAt, d.SaleEndsAt, d.CreatedAt, d.UpdatedAt = at.Add(-time.Hour), at.Add(time.Hour), at, at
		must(t, s.CreateDeal(t.Context(), d), "CreateDeal(%s)", d.ID)
		gotDeal, err := s.FindDealByID(t.Context(), d.ID)
		must(t, err, "FindDealByID(%s)", d.ID)

		o := w.orderOf(u.ID, tuango.OrderPendingPayment, at, item{d, 1})
		must(t, s.CreateOrder(t.Context(), o), "CreateOrder(%s)", o.ID)
		paid := *o
		paid.Status, paid.PaidAt = tuango.OrderPaid, at
		ok, err := s.UpdateOrderStatus(t.Context(), &paid, tuango.OrderPendingPayment)
		wantOK(t, ok, err, true, "UpdateOrderStatus(pending → paid)")
		gotOrder, err := s.FindOrderByID(t.Context(), o.ID)
		must(t, err, "FindOrderByID(%s)", o.ID)

		sess := &tuango.Session{TokenHash: newID("tok"), UserID: u.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		must(t, s.CreateSession(t.Context(), sess), "CreateSession")
		gotSess, err := s.FindSession(t.Context(), sess.TokenHash, at)
		must(t, err, "FindSession")

		idem := &tuango.IdempotencyRecord{Scope: u.ID, Key: newID("key"), Body: []byte("{}"), CreatedAt: at}
		must(t, s.SaveIdempotency(t.Context(), idem), "SaveIdempotency")
		gotIdem, err := s.FindIdempotency(t.Context(), idem.Scope, idem.Key)
		must(t, err, "FindIdempotency")

		times := []struct {
			name string
			got  time.Time
			want time.Time
		}{
			{"Deal.SaleStartsAt", gotDeal.SaleStartsAt, want.Add(-time.Hour)},
			{"Deal.SaleEndsAt", gotDeal.SaleEndsAt, want.Add(time.Hour)},
			{"Deal.CreatedAt", gotDeal.CreatedAt, want},
			{"Deal.UpdatedAt", gotDeal.UpdatedAt, want},
			{"Order.CreatedAt", gotOrder.CreatedAt, want},
			{"Order.ExpiresAt", gotOrder.ExpiresAt, want.Add(tuango.DefaultOrderTimeout)},
			{"Order.PaidAt", gotOrder.PaidAt, want},
			{"Session.CreatedAt", gotSess.CreatedAt, want},
			{"Session.ExpiresAt", gotSess.ExpiresAt, want.Add(time.Hour)},
			{"IdempotencyRecord.CreatedAt", gotIdem.CreatedAt, want},
		}
		for _, tt := range times {
			if !tt.got.Equal(tt.want) || tt.got.Location() != time.UTC {
				t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
			}
		}
		if zero := gotOrder.CancelledAt; !zero.IsZero() {
			t.Errorf("Order.CancelledAt never set = %v, want the zero time", zero)
		}
	})
}
