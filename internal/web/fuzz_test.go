package web

import (
	"encoding/json"
	"testing"

	"tuango/internal/tuango"
)

// FuzzDecodeOrderRequest feeds the order decoder arbitrary bodies: it must
// never panic, must refuse with a tuango error (never an internal one), and
// whatever it accepts must be a valid request that survives a round trip.
func FuzzDecodeOrderRequest(f *testing.F) {
	f.Add([]byte(`{"pickup_point_id":"pp_1","items":[{"deal_id":"deal_1","quantity":2}]}`))
	f.Add([]byte(`{"pickup_point_id":"pp_1","items":[{"deal_id":"deal_1","quantity":-1}]}`))
	f.Add([]byte(`{"pickup_point_id":"pp_1","items":[{"deal_id":"deal_1","quantity":1e99}]}`))
	f.Add([]byte(`{"pickup_point_id":"pp_\u0000","items":[]}`))
	f.Add([]byte(`{"pickup_point_id":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"a":`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeOrderRequest(body)
		if err != nil {
			if code := tuango.ErrorCode(err); code != tuango.CodeInvalid {
				t.Fatalf("decodeOrderRequest(%q) error code = %q, want %q: %v", body, code, tuango.CodeInvalid, err)
			}
			return
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("accepted a request that does not validate: %v", err)
		}
		for _, it := range req.Items {
			if it.Quantity < 1 || it.Quantity > tuango.MaxQuantity {
				t.Fatalf("accepted quantity %d", it.Quantity)
			}
		}
		in := orderRequest{PickupPointID: req.PickupPointID}
		for _, it := range req.Items {
			in.Items = append(in.Items, struct {
				DealID   string `json:"deal_id"`
				Quantity int    `json:"quantity"`
			}{it.DealID, it.Quantity})
		}
		again, _ := json.Marshal(in)
		req2, err := decodeOrderRequest(again)
		if err != nil || len(req2.Items) != len(req.Items) || req2.PickupPointID != req.PickupPointID {
			t.Fatalf("round trip of %s = %+v, %v", again, req2, err)
		}
	})
}
