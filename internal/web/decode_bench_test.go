package web

import "testing"

// BenchmarkDecodeOrderRequest measures the order decoder on the hot path of
// a flash sale: the body every POST /api/v1/orders carries.
func BenchmarkDecodeOrderRequest(b *testing.B) {
	bodies := []struct {
		name string
		body []byte
	}{
		{"one item", []byte(`{"pickup_point_id":"pp_0123456789abcdef","items":[{"deal_id":"deal_192nf60mdzv0p13x","quantity":1}]}`)},
		{"five items", []byte(`{"pickup_point_id":"pp_0123456789abcdef","items":[` +
			`{"deal_id":"deal_192nf60mdzv0p13a","quantity":1},{"deal_id":"deal_192nf60mdzv0p13b","quantity":2},` +
			`{"deal_id":"deal_192nf60mdzv0p13c","quantity":3},{"deal_id":"deal_192nf60mdzv0p13d","quantity":1},` +
			`{"deal_id":"deal_192nf60mdzv0p13e","quantity":5}]}`)},
		{"refused: unknown field", []byte(`{"pickup_point_id":"pp_0123456789abcdef","items":[{"deal_id":"deal_1","quantity":1}],"coupon":"x"}`)},
	}
	for _, bb := range bodies {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.body)))
			for b.Loop() {
				decodeOrderRequest(bb.body)
			}
		})
	}
}
