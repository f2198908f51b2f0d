package tuango

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// checkSplit checks the split's properties for one order: the shares sum
// to the discount, no line goes below zero, a second split gives the same
// shares, and each share is within a fen of the line's exact pro rata part.
func checkSplit(t *testing.T, amounts []Fen, discount Fen) {
	t.Helper()
	shares := splitDiscount(amounts, discount)
	var sum, total Fen
	for _, a := range amounts {
		total += a
	}
	for i, sh := range shares {
		sum += sh
		if sh < 0 || sh > amounts[i] {
			t.Fatalf("split(%v, %d) line %d share %d, want 0..%d", amounts, discount, i+1, sh, amounts[i])
		}
		// floor(exact) <= share <= floor(exact)+1, checked without overflow
		// for the small amounts the generators make.
		if lo := discount * amounts[i] / total; sh < lo || sh > lo+1 {
			t.Fatalf("split(%v, %d) line %d share %d, want %d or %d", amounts, discount, i+1, sh, lo, lo+1)
		}
	}
	if sum != discount {
		t.Fatalf("split(%v, %d) sums to %d", amounts, discount, sum)
	}
	if again := splitDiscount(amounts, discount); !reflect.DeepEqual(again, shares) {
		t.Fatalf("split(%v, %d) = %v, then %v", amounts, discount, shares, again)
	}
}

func TestSplitDiscountExamples(t *testing.T) {
	for _, tc := range []struct {
		name     string
		amounts  []Fen
		discount Fen
		want     []Fen
	}{
		{"one line takes it all", []Fen{5000}, 1000, []Fen{1000}},
		{"exact shares", []Fen{3000, 1000}, 400, []Fen{300, 100}},
		{"the left-over fen goes to the largest remainder", []Fen{100, 200}, 100, []Fen{33, 67}},
		{"ties go to the earlier line", []Fen{100, 100, 100}, 100, []Fen{34, 33, 33}},
		{"a tiny line may get nothing", []Fen{1, 9999}, 4000, []Fen{0, 4000}},
		{"a tie between a tiny line and a big one goes to the earlier", []Fen{1, 9999}, 5000, []Fen{1, 4999}},
		{"no discount", []Fen{100, 200}, 0, []Fen{0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitDiscount(tc.amounts, tc.discount); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitDiscount(%v, %d) = %v, want %v", tc.amounts, tc.discount, got, tc.want)
			}
			checkSplit(t, tc.amounts, tc.discount)
		})
	}
}

// A deterministic property test: many random orders from a fixed seed.
func TestSplitDiscountProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 3))
	for n := 0; n < 20000; n++ {
		lines := 1 + r.IntN(MaxOrderLines)
		amounts := make([]Fen, lines)
		var total Fen
		for i := range amounts {
			amounts[i] = Fen(r.IntN(200000)) // zero amounts too
			total += amounts[i]
		}
		if total < 2 {
			continue
		}
		checkSplit(t, amounts, 1+Fen(r.Int64N(int64(total-1))))
	}
}

// Large amounts: the exact share is computed in 128 bits.
func TestSplitDiscountDoesNotOverflow(t *testing.T) {
	amounts := []Fen{MaxFen, MaxFen, 3}
	shares := splitDiscount(amounts, MaxFen)
	if s := shares[0] + shares[1] + shares[2]; s != MaxFen || shares[0] < 0 || shares[1] < 0 {
		t.Errorf("splitDiscount(%v, %d) = %v", amounts, MaxFen, shares)
	}
}

func FuzzSplitDiscount(f *testing.F) {
	f.Add(uint32(100), uint32(200), uint32(0), uint32(100))
	f.Add(uint32(1), uint32(9999), uint32(5), uint32(5000))
	f.Fuzz(func(t *testing.T, a, b, c, d uint32) {
		amounts := []Fen{Fen(a), Fen(b), Fen(c)}
		total := Fen(a) + Fen(b) + Fen(c)
		if total < 2 {
			return
		}
		checkSplit(t, amounts, 1+Fen(d)%(total-1))
	})
}

// Refunding a line unit by unit gives back exactly what was paid for it,
// never more, whatever the order of partial refunds.
func TestRefundForNeverExceedsPaid(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for n := 0; n < 5000; n++ {
		q := 1 + r.IntN(MaxQuantity)
		l := OrderLine{Quantity: q, PaidFen: Fen(r.IntN(100000))}
		for l.RefundedQuantity < q {
			k := 1 + r.IntN(q-l.RefundedQuantity)
			got := l.RefundFor(k)
			if got < 0 {
				t.Fatalf("RefundFor(%d) of %+v = %d", k, l, got)
			}
			l.RefundedQuantity += k
			l.RefundedFen += got
			if l.RefundedFen > l.PaidFen {
				t.Fatalf("refunds of %+v exceed its paid amount", l)
			}
		}
		if l.RefundedFen != l.PaidFen {
			t.Fatalf("every unit of %+v refunded gives %d back, want %d", l, l.RefundedFen, l.PaidFen)
		}
	}
}

// decide splits a coupon over a multi-line order and take marks it used,
// so that a second order of the batch with it is refused.
func TestDecideAppliesACoupon(t *testing.T) {
	st := decideState()
	cc := &CustomerCoupon{ID: "ucp_1", CouponID: "cpn_1", UserID: "usr_a", Status: CouponAvailable,
		Coupon: Coupon{ID: "cpn_1", Kind: CouponThreshold, AmountOffFen: 1000, MinSpendFen: 5000, ValidFrom: decideNow.Add(-time.Hour), ValidTo: decideNow.Add(time.Hour)}}
	st.coupons, st.paid = map[string]*CustomerCoupon{"ucp_1": cc}, map[string]bool{}
	req := orderOf("pp_open", OrderItem{"d_rice", 3}, OrderItem{"d_eggs", 1}, OrderItem{"d_soon", 2}) // 2970 + 990 + 1980 = 5940
	req.CouponID = "ucp_1"
	v := decide(st, req, decideTerms)
	if v.err != nil {
		t.Fatal(v.err)
	}
	// 1000 × 2970/5940 = 500, × 990/5940 = 166.67, × 1980/5940 = 333.33:
	// the left-over fen goes to the eggs' larger remainder.
	var paid []Fen
	for _, l := range v.order.Lines {
		paid = append(paid, l.PaidFen)
	}
	if want := []Fen{2470, 823, 1647}; !reflect.DeepEqual(paid, want) || v.order.DiscountFen != 1000 || v.order.PayableFen() != 4940 {
		t.Errorf("paid = %v, discount %d, payable %d; want %v, 1000, 4940", paid, v.order.DiscountFen, v.order.PayableFen(), want)
	}
	st.take(v.order)
	again := orderOf("pp_open", OrderItem{"d_rice", 6})
	again.CouponID, again.Idem = "ucp_1", &Idempotency{Scope: "usr_a", Key: "k2"}
	if v := decide(st, again, decideTerms); ErrorCode(v.err) != CodeCouponNotApplicable {
		t.Errorf("a second order with the coupon in the batch = %v, want coupon_not_applicable", v.err)
	}
}
