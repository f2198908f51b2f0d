package chaos

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheckPassesAConsistentRun(t *testing.T) {
	f := newFixture(t)
	f.play()
	f.playDay()
	r := f.check(f.rec.History(), f.setup)
	var out bytes.Buffer
	r.Print(&out)
	t.Log(out.String())
	if !r.Ok() {
		t.Fatalf("Check() found violations in a consistent run:\n%s", out.String())
	}
	for _, c := range r.Checks {
		if c.Checked == 0 {
			t.Errorf("check %s checked nothing; the fixture should give every check something to check", c.Name)
		}
	}
	if got := *r.Settled[PlaceOrder]; got != (Settled{Happened: 1, NotHappened: 1}) {
		t.Errorf("Settled[place_order] = %+v, want one that happened and one that did not", got)
	}
	if got := r.Requests[PlaceOrder]; got.Invoked != 11 || got.OK != 8 || got.Fail != 1 || got.Info != 2 || got.Refused["limit_exceeded"] != 1 {
		t.Errorf("Requests[place_order] = %+v, want 11 sent, 8 acknowledged, 1 refused (limit_exceeded), 2 unknown", got)
	}
	if want := (OrderCounts{Total: 9, Paid: 0, Cancelled: 2, Expired: 4, Payments: 6, Refunds: 2}); r.Orders != want {
		t.Errorf("Orders = %+v, want %+v", r.Orders, want)
	}
	if !strings.Contains(out.String(), "result: OK") {
		t.Errorf("Print() does not say OK:\n%s", out.String())
	}
}

// Each case breaks what a real run left behind — the tables, the history or
// the setup — and names the check that must catch it.
func TestCheckCatchesBrokenRuns(t *testing.T) {
	tests := []struct {
		name   string
		want   string
		mutate func(f *fixture, h *History, s *Setup)
	}{
		{"an audit record rewritten after it was chained", "audit_chain_verifies", func(f *fixture, h *History, s *Setup) {
			f.chainAudit()
			f.exec(`DROP TRIGGER audit_records_no_update`)
			f.exec(`UPDATE audit_records SET detail = '{}' WHERE seq = 2`)
		}},
		{"a money movement without its audit record", "money_audited", func(f *fixture, h *History, s *Setup) {
			f.exec(`DROP TRIGGER audit_records_no_delete`)
			f.exec(`DELETE FROM audit_records WHERE kind = 'money.payment_captured'`)
		}},
		{"an acknowledged order is missing", "acknowledged_orders_durable", func(f *fixture, h *History, s *Setup) {
			f.exec(`DELETE FROM order_lines WHERE order_id = ?`, f.orders["B"])
			f.exec(`DELETE FROM order_events WHERE order_id = ?`, f.orders["B"])
			f.exec(`DELETE FROM orders WHERE id = ?`, f.orders["B"])
		}},
		{"an order that skipped states", "legal_transitions", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE orders SET status = 'shipped' WHERE id = ?`, f.orders["A"])
		}},
		{"an order handed over at another point", "pickup_code_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`INSERT INTO pickup_verifications (id, leader_id, pickup_point_id, order_id, ok, at) VALUES ('pv_x', 'usr_x', 'pp_elsewhere', ?, ?, 1)`, f.orders["A"], true)
		}},
		{"an acknowledged cutoff answered another summary", "cutoff_once", func(f *fixture, h *History, s *Setup) {
			f.appendAck(h, Op{Process: dayProcess, F: CutoffOp, State: cutoffSummary(2, 0, 4)})
		}},
		{"an order both confirmed and cancelled", "cutoff_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`INSERT INTO order_events (order_id, status, at, mover) VALUES (?, 'cancelled', 1, 'worker')`, f.orders["L"])
		}},
		{"a list read counted other units than the confirmed orders", "lists_agree", func(f *fixture, h *History, s *Setup) {
			for i := range *h {
				if op := &(*h)[i]; op.F == ListsOp && op.Type == OK {
					op.Units = map[string]map[string]int{listPurchaseOrders: op.Units[listPurchaseOrders], listSorting: op.Units[listSorting],
						listManifests: op.Units[listManifests], listPick: {"prd_other": 1}}
				}
			}
		}},
		{"a cancelled order counted in the lists", "lists_agree", func(f *fixture, h *History, s *Setup) {
			f.exec(`INSERT INTO order_events (order_id, status, at, mover) VALUES (?, 'confirmed', 1, 'worker')`, f.orders["G"])
			f.exec(`UPDATE orders SET delivery_date = ? WHERE id = ?`, s.DeliveryDate, f.orders["G"])
		}},
		{"a shortage never refunded", "shortage_refunded_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`DELETE FROM partial_refunds WHERE order_id = ?`, f.orders["K"])
		}},
		{"a shortage refunded twice", "shortage_refunded_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`INSERT INTO partial_refunds (id, payment_id, order_id, line_no, quantity, amount_fen, reason, status, created_at)
				SELECT 'rfd_again', payment_id, order_id, line_no, quantity, amount_fen, 'damage', status, created_at FROM partial_refunds WHERE order_id = ?`, f.orders["K"])
		}},
		{"a unit refunded that was not short", "shortage_refunded_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`INSERT INTO partial_refunds (id, payment_id, order_id, line_no, quantity, amount_fen, reason, status, created_at, completed_at)
				VALUES ('rfd_extra', ?, ?, 1, 1, 990, 'shortage', 'succeeded', 1, 1)`, f.payments["L"], f.orders["L"])
		}},
		{"an acknowledged sign-off refund not recorded", "shortage_refunded_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE partial_refunds SET quantity = 2, amount_fen = 1980 WHERE order_id = ?`, f.orders["K"])
			f.exec(`UPDATE order_lines SET refunded_quantity = 2, refunded_fen = 1980 WHERE order_id = ?`, f.orders["K"])
			f.exec(`UPDATE orders SET refunded_fen = 1980 WHERE id = ?`, f.orders["K"])
		}},
		{"a line refunded more than was paid", "refunds_within_paid", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE partial_refunds SET quantity = 3, amount_fen = 2970 WHERE order_id = ?`, f.orders["K"])
		}},
		{"a refund at another price than paid", "refunds_within_paid", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE partial_refunds SET amount_fen = amount_fen + 1 WHERE order_id = ?`, f.orders["K"])
		}},
		{"a line's refunded sum disagrees with its refunds", "refunds_within_paid", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE order_lines SET refunded_quantity = 0, refunded_fen = 0 WHERE order_id = ?`, f.orders["K"])
		}},
		{"an acknowledged pickup did not hand the order over", "pickups_acknowledged", func(f *fixture, h *History, s *Setup) {
			f.appendAck(h, Op{Process: dayProcess, F: PickupOp, PickupPoint: f.pp, OrderID: f.orders["K"]})
		}},
		{"a pickup acknowledged at another point", "pickups_acknowledged", func(f *fixture, h *History, s *Setup) {
			f.appendAck(h, Op{Process: dayProcess, F: PickupOp, PickupPoint: "pp_elsewhere", OrderID: f.orders["A"]})
		}},
		{"a notification never sent", "notifications_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`DELETE FROM sandbox_sms WHERE message_id = (SELECT MIN(id) FROM outbox)`)
		}},
		{"a notification never reached the inbox", "notifications_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`DELETE FROM notifications WHERE id = (SELECT MIN(id) FROM outbox)`)
		}},
		{"a notification left in the outbox", "notifications_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE outbox SET sent_at = 0 WHERE id = (SELECT MIN(id) FROM outbox)`)
		}},
		{"an SMS sent that the outbox never held", "notifications_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`INSERT INTO sandbox_sms (message_id, phone, text, sent_at) VALUES ('msg_ghost', '13900001001', 'x', 1)`)
		}},
		{"an SMS sent to another phone", "notifications_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE sandbox_sms SET phone = '13999999999' WHERE message_id = (SELECT MIN(id) FROM outbox)`)
		}},
		{"an order confirmed twice in the outbox", "notifications_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`INSERT INTO outbox (id, user_id, order_id, kind, text, created_at, sent_at) SELECT 'msg_twice', user_id, order_id, kind, text, created_at, sent_at FROM outbox WHERE order_id = ? AND kind = 'order_confirmed'`, f.orders["L"])
			f.exec(`INSERT INTO notifications (id, user_id, order_id, kind, text, created_at) SELECT id, user_id, order_id, kind, text, created_at FROM outbox WHERE id = 'msg_twice'`)
			f.exec(`INSERT INTO sandbox_sms (message_id, phone, text, sent_at) VALUES ('msg_twice', ?, 'x', 1)`, "13900001003")
		}},
		{"an arrival never told", "notifications_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`DELETE FROM sandbox_sms WHERE message_id IN (SELECT id FROM outbox WHERE order_id = ? AND kind = 'order_arrived')`, f.orders["L"])
			f.exec(`DELETE FROM notifications WHERE order_id = ? AND kind = 'order_arrived'`, f.orders["L"])
			f.exec(`DELETE FROM outbox WHERE order_id = ? AND kind = 'order_arrived'`, f.orders["L"])
		}},
		{"an order of the day left undelivered", "every_order_ends", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE orders SET status = 'shipped' WHERE id = ?`, f.orders["K"])
		}},
		{"an acknowledged order's total changed", "acknowledged_orders_durable", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE orders SET total_fen = total_fen + 1 WHERE id = ?`, f.orders["A"])
		}},
		{"an order whose key no request carried", "no_phantom_orders", func(f *fixture, h *History, s *Setup) {
			f.insertOrder("ord_ghost", s.Customers[1], "ghost", f.d1, 1)
		}},
		{"an order for a key whose every request was refused", "no_phantom_orders", func(f *fixture, h *History, s *Setup) {
			f.insertOrder("ord_refused", s.Customers[2], "x", f.d2, 4)
		}},
		{"an order cancelled by a customer who never asked", "no_phantom_orders", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE orders SET cancel_reason = 'customer' WHERE id = ?`, f.orders["B"])
		}},
		{"two orders for one key", "one_order_per_key", func(f *fixture, h *History, s *Setup) {
			// The schema refuses this since migration 0025 (orders_user_key);
			// the checker still catches a build whose schema does not.
			f.exec(`DROP INDEX orders_user_key`)
			f.insertOrder("ord_twice", s.Customers[0], "a", f.d1, 2)
		}},
		{"a replay acknowledged another order", "one_order_per_key", func(f *fixture, h *History, s *Setup) {
			f.appendAck(h, Op{Process: 0, F: PlaceOrder, Key: "a", OrderID: f.orders["B"], Items: []Item{{f.d1, 2}}})
		}},
		{"reserved differs from the units in live orders", "no_oversell", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE deals SET reserved = reserved + 1 WHERE id = ?`, f.d2)
		}},
		{"live orders hold more than the stock", "no_oversell", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE order_lines SET quantity = 20, amount_fen = 20 * unit_price_fen WHERE order_id = ?`, f.orders["A"])
		}},
		{"the history witnessed more units held than the stock", "no_oversell", func(f *fixture, h *History, s *Setup) {
			s.Deals[f.d1] = DealSetup{Stock: 3, Limit: 3} // A, B, E and G held 5 units of d1 at once
		}},
		{"a deal's stock changed", "stock_conserved", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE deals SET stock = stock + 5 WHERE id = ?`, f.d1)
		}},
		{"stock released twice", "stock_conserved", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE deals SET reserved = reserved - 1 WHERE id = ?`, f.d1)
		}},
		{"an unpaid order holds stock past its deadline", "no_stock_leaked", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE orders SET status = 'pending_payment', cancelled_at = 0, cancel_reason = '' WHERE id = ?`, f.orders["G"])
			f.exec(`UPDATE deals SET reserved = reserved + 1 WHERE id = ?`, f.d1)
		}},
		{"a customer over the limit", "customer_limits", func(f *fixture, h *History, s *Setup) {
			s.Deals[f.d1] = DealSetup{Stock: 10, Limit: 1}
		}},
		{"the limit counter disagrees with the orders", "customer_limits", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE customer_deal_units SET units = units + 1 WHERE user_id = ? AND deal_id = ?`, s.Customers[0], f.d1)
		}},
		{"a capture on a cancelled order is not refunded", "payments_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`DELETE FROM refunds WHERE payment_id = ?`, f.payments["D"])
		}},
		{"a paid order captured twice", "payments_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`INSERT INTO payments (id, order_id, user_id, provider, amount_fen, status, provider_txn_id, pay_url, created_at, succeeded_at)
				SELECT 'pay_twice', order_id, user_id, provider, amount_fen, status, 'txn-twice', pay_url, created_at, succeeded_at FROM payments WHERE id = ?`, f.payments["A"])
		}},
		{"a refund larger than the capture", "payments_once", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE refunds SET amount_fen = amount_fen + 100 WHERE payment_id = ?`, f.payments["D"])
		}},
		{"the provider took money tuango never recorded", "reconciliation_closes", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE sandbox_payments SET status = 'paid', paid_at = 1 WHERE payment_id = ?`, f.payments["G"])
		}},
		{"a refund never reached the provider", "reconciliation_closes", func(f *fixture, h *History, s *Setup) {
			f.exec(`DELETE FROM sandbox_refunds WHERE payment_id = ?`, f.payments["D"])
		}},
		{"an acknowledged payment is missing", "acknowledged_payments_reflected", func(f *fixture, h *History, s *Setup) {
			f.exec(`DELETE FROM sandbox_payments WHERE payment_id = ?`, f.payments["G"])
			f.exec(`DELETE FROM payments WHERE id = ?`, f.payments["G"])
		}},
		{"an acknowledged confirmation never applied", "acknowledged_payments_reflected", func(f *fixture, h *History, s *Setup) {
			f.appendAck(h, Op{Process: 2, F: ConfirmPayment, PaymentID: f.payments["G"], State: "paid"})
		}},
		{"an acknowledged cancellation undone", "acknowledged_payments_reflected", func(f *fixture, h *History, s *Setup) {
			f.appendAck(h, Op{Process: 0, F: CancelOrder, OrderID: f.orders["A"], State: "cancelled"})
		}},
		{"an order expired before its deadline", "every_order_ends", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE orders SET cancelled_at = expires_at - 1000000 WHERE id = ?`, f.orders["B"])
		}},
		{"an unpaid order left past its deadline", "every_order_ends", func(f *fixture, h *History, s *Setup) {
			f.exec(`UPDATE orders SET status = 'pending_payment', cancelled_at = 0, cancel_reason = '' WHERE id = ?`, f.orders["G"])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.play()
			f.playDay()
			h, s := f.rec.History(), f.setup
			s.Deals = map[string]DealSetup{f.d1: s.Deals[f.d1], f.d2: s.Deals[f.d2]}
			tt.mutate(f, &h, &s)
			r := f.check(h, s)
			var out bytes.Buffer
			r.Print(&out)
			if r.Ok() {
				t.Fatalf("Check() passed a broken run; want a %s violation:\n%s", tt.want, out.String())
			}
			for _, c := range r.Checks {
				if c.Name == tt.want {
					if c.Violations == 0 {
						t.Errorf("check %s found no violation; the report:\n%s", tt.want, out.String())
					}
					if !strings.Contains(out.String(), "VIOLATION "+tt.want) || !strings.Contains(out.String(), "result: FAILED") {
						t.Errorf("Print() does not describe the %s violation:\n%s", tt.want, out.String())
					}
					return
				}
			}
			t.Errorf("no check named %s", tt.want)
		})
	}
}

// insertOrder adds a cancelled (expired) order of one line behind the
// service's back; stock and limits stay consistent.
func (f *fixture) insertOrder(id, user, key, deal string, qty int) {
	f.t.Helper()
	now := f.clock.Now().UnixMicro()
	f.exec(`INSERT INTO orders (id, user_id, pickup_point_id, city_id, status, total_fen, idempotency_key, created_at, expires_at, cancelled_at, cancel_reason)
		VALUES (?, ?, ?, ?, 'cancelled', ?, ?, ?, ?, ?, 'expired')`, id, user, f.pp, f.city, 990*qty, key, now-2e6, now-1e6, now)
	f.exec(`INSERT INTO order_lines (order_id, line_no, deal_id, title, quantity, unit_price_fen, amount_fen, commission_bps)
		VALUES (?, 1, ?, '草莓', ?, 990, ?, 1000)`, id, deal, qty, 990*qty)
}

// appendAck adds an invocation and its acknowledgement to a history.
func (f *fixture) appendAck(h *History, op Op) {
	op.ID, op.Type, op.Time = int64(len(*h)+1000), Invoke, time.Now()
	*h = append(*h, op)
	op.Type = OK
	*h = append(*h, op)
}

func TestHistoryRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.play()
	f.rec.Nemesis(Kill, "n2", "SIGKILL")
	want := f.rec.History()
	if err := f.rec.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Load(f.dir + "/history.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Load() read %d events, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if !w.Time.Equal(g.Time) || itemsString(w.Items) != itemsString(g.Items) {
			t.Errorf("event %d = %+v after Load, want %+v", i, g, w)
		}
		w.Time, g.Time, w.Items, g.Items = time.Time{}, time.Time{}, nil, nil
		if !reflect.DeepEqual(w, g) {
			t.Errorf("event %d = %+v after Load, want %+v", i, g, w)
		}
	}
}
