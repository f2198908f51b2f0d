package web

import (
	"slices"
	"testing"
	"unicode/utf8"

	"tuango/internal/tuango"
)

// FuzzAfterSalesRequest feeds the after-sales decoder and the request's
// checks arbitrary bodies: they never panic, refuse only with
// validation_failed, and what they accept is a request the rules allow.
func FuzzAfterSalesRequest(f *testing.F) {
	f.Add([]byte(`{"line_no":1,"quantity":2,"reason":"damaged","note":"坏了"}`))
	f.Add([]byte(`{"line_no":0,"quantity":-1,"reason":"regret"}`))
	f.Add([]byte(`{"line_no":1,"quantity":1e99,"reason":"missing"}`))
	f.Add([]byte(`{"line_no":1,"quantity":1,"reason":"other","note":"\u0000\ud800"}`))
	f.Add([]byte(`{"line_no":"1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in afterSalesRequest
		if err := decodeBytes(body, &in); err != nil {
			if code := tuango.ErrorCode(err); code != tuango.CodeInvalid {
				t.Fatalf("decode(%q) error code = %q, want %q", body, code, tuango.CodeInvalid)
			}
			return
		}
		req := tuango.AfterSalesRequest{OrderID: "ord_1", LineNo: in.LineNo, Quantity: in.Quantity, Reason: tuango.AfterSalesReason(in.Reason), Note: in.Note}
		if err := req.Validate(); err != nil {
			if code := tuango.ErrorCode(err); code != tuango.CodeInvalid {
				t.Fatalf("Validate(%+v) error code = %q, want %q", req, code, tuango.CodeInvalid)
			}
			return
		}
		if req.LineNo < 1 || req.Quantity < 1 || req.Quantity > tuango.MaxStock || !slices.Contains(tuango.AfterSalesReasons, req.Reason) ||
			!utf8.ValidString(req.Note) || utf8.RuneCountInString(req.Note) > tuango.MaxAfterSalesNote {
			t.Fatalf("accepted %+v", req)
		}
	})
}
