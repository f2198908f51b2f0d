package payment

import (
	"strconv"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// FuzzVerifyNotification feeds the payment notification's verifier what
// anyone on the internet can send: arbitrary headers and bodies, signed
// with the wrong key or the right one. It never panics; a notification not
// signed with the merchant key is refused as bad_signature or stale, never
// decoded; a signed one is refused as invalid or gives an event with an
// id, a payment and an amount above zero.
func FuzzVerifyNotification(f *testing.F) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := `{"id":"evt_1","event_type":"TRANSACTION.SUCCESS","resource":{"out_trade_no":"pay_1","transaction_id":"4200","trade_state":"SUCCESS","amount":{"total":199},"success_time":"2026-12-01T08:00:00Z"}}`
	for _, c := range []struct {
		ts, nonce, body string
		signed          bool
	}{
		{ts, "n1", good, true}, {ts, "n1", good, false}, {"0", "n1", good, true}, {ts, "", good, true},
		{ts, "n1", `{"id":"evt_1","resource":{"amount":{"total":-5}}}`, true}, {ts, "n1", `{"id":`, true},
		{"99999999999999999999", "n", "{}", true}, {ts, "n1", `{"resource":{"amount":{"total":1e400}}}`, true},
	} {
		f.Add(c.ts, c.nonce, []byte(c.body), c.signed)
	}
	key := []byte("merchant-key")
	s := &Sandbox{key: key}
	f.Fuzz(func(t *testing.T, timestamp, nonce string, body []byte, signed bool) {
		sig := "forged"
		if signed {
			sig = Sign(key, timestamp, nonce, body)
		}
		ev, err := s.VerifyNotification(tuango.Notification{Timestamp: timestamp, Nonce: nonce, Signature: sig, Serial: "s", Body: body}, now)
		if err != nil {
			code := tuango.ErrorCode(err)
			ok := code == tuango.CodeBadSignature || code == tuango.CodeStaleNotification || (signed && code == tuango.CodeInvalid)
			if !ok {
				t.Fatalf("refused with %q (signed %v): %v", code, signed, err)
			}
			return
		}
		if !signed {
			t.Fatalf("accepted a notification with a forged signature: %+v", ev)
		}
		if ev.EventID == "" || ev.Payment.PaymentID == "" || ev.Payment.AmountFen <= 0 {
			t.Fatalf("accepted an event without an id, payment or amount: %+v", ev)
		}
	})
}
