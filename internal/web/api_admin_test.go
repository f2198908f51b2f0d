package web

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// Two operators PATCH different fields of one object at the same moment:
// both changes stay, on every kind of object, round after round. (When a
// PATCH read the object in one transaction and wrote it in another, the
// second write put back the field the first had changed.)
func TestConcurrentPatchesOfDifferentFieldsBothStay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	deal := e.newDeal(100, 5, 990)
	kinds := []struct {
		name, path string
		a, b       func(round int) map[string]any // two patches of different fields
		stored     func() (string, int, error)    // the two fields as stored
	}{
		{"deal", "/api/v1/admin/deals/" + deal,
			func(i int) map[string]any { return map[string]any{"title": fmt.Sprint("鸡蛋 ", i)} },
			func(i int) map[string]any { return map[string]any{"stock": 100 + i} },
			func() (string, int, error) { d, err := e.store.FindDealByID(ctx, deal); return d.Title, d.Stock, err }},
		{"supplier", "/api/v1/admin/suppliers/" + e.supplierID,
			func(i int) map[string]any { return map[string]any{"name": fmt.Sprint("鸡蛋 ", i)} },
			func(i int) map[string]any { return map[string]any{"contact": fmt.Sprint(100 + i)} },
			func() (string, int, error) {
				s, err := e.store.FindSupplierByID(ctx, e.supplierID)
				var n int
				fmt.Sscan(s.Contact, &n)
				return s.Name, n, err
			}},
		{"product", "/api/v1/admin/products/" + e.productID,
			func(i int) map[string]any { return map[string]any{"name": fmt.Sprint("鸡蛋 ", i)} },
			func(i int) map[string]any { return map[string]any{"cost_fen": 100 + i} },
			func() (string, int, error) {
				p, err := e.store.FindProductByID(ctx, e.productID)
				return p.Name, int(p.CostFen), err
			}},
		{"pickup point", "/api/v1/admin/pickup-points/" + e.ppID,
			func(i int) map[string]any { return map[string]any{"name": fmt.Sprint("鸡蛋 ", i)} },
			func(i int) map[string]any { return map[string]any{"commission_bps": 100 + i} },
			func() (string, int, error) {
				p, err := e.store.FindPickupPointByID(ctx, e.ppID)
				return p.Name, p.CommissionBps, err
			}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for round := range 15 {
				var wg sync.WaitGroup
				start := make(chan struct{})
				for _, patch := range []map[string]any{k.a(round), k.b(round)} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						if r := e.operator.do("PATCH", k.path, patch); r.status != 200 {
							t.Errorf("PATCH %v = %d %s", patch, r.status, r.body)
						}
					}()
				}
				close(start)
				wg.Wait()
				text, number, err := k.stored()
				must(t, err)
				if text != fmt.Sprint("鸡蛋 ", round) || number != 100+round {
					t.Fatalf("round %d: stored %q and %d, want %q and %d: a concurrent change was lost", round, text, number, fmt.Sprint("鸡蛋 ", round), 100+round)
				}
			}
		})
	}
}
