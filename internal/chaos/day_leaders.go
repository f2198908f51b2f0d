package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
)

type deliveryAnswer struct {
	PickupPointID string `json:"pickup_point_id"`
	Lines         []struct {
		DealID   string `json:"deal_id"`
		Quantity int    `json:"quantity"`
	} `json:"lines"`
	Orders []struct {
		ID string `json:"id"`
	} `json:"orders"`
}

// loginLeaders logs in the city's leaders and keeps those whose point has
// a delivery for the date.
func (d *day) loginLeaders(ctx context.Context) error {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var first error
	sem := make(chan struct{}, loginConcurrency)
	for i := range demoLeaders {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var ses session
			err := d.c.callAny(ctx, "POST", "/api/v1/auth/login", "", map[string]string{"phone": fmt.Sprint(demoFirstLeader + i), "password": "tuango-demo"}, &ses)
			var del deliveryAnswer
			if err == nil {
				err = d.c.callAny(ctx, "GET", "/api/v1/leader/deliveries/"+d.s.date, ses.Token, nil, &del)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && first == nil:
				first = err
			case err == nil && len(del.Orders) > 0:
				d.leaders[del.PickupPointID] = ses.Token
				d.points = append(d.points, del.PickupPointID)
			}
		}()
	}
	wg.Wait()
	sort.Strings(d.points)
	return first
}

// signAll has every leader with a delivery sign for it, a few at once.
func (d *day) signAll(ctx context.Context) error {
	errs := make([]error, len(d.points))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, pp := range d.points {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = d.sign(ctx, rand.New(rand.NewPCG(d.seed, 100+uint64(i))), pp)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// sign counts what arrived at pp, some units short or damaged, and signs
// for it with one key however often the answer is lost.
func (d *day) sign(ctx context.Context, rng *rand.Rand, pp string) error {
	token := d.leaders[pp]
	var del deliveryAnswer
	if err := d.c.callAny(ctx, "GET", "/api/v1/leader/deliveries/"+d.s.date, token, nil, &del); err != nil {
		return err
	}
	inv := Op{F: SignOp, Key: "sign-" + pp + "-" + d.s.date, PickupPoint: pp}
	var lines []map[string]any
	for _, l := range del.Lines {
		sl := SignLine{DealID: l.DealID, Expected: l.Quantity, Received: l.Quantity}
		if rng.Float64() < shortShare {
			sl.Received -= rng.IntN(min(2, l.Quantity) + 1)
			sl.Damaged = rng.IntN(min(1, sl.Received) + 1)
		}
		inv.Sign = append(inv.Sign, sl)
		lines = append(lines, map[string]any{"deal_id": sl.DealID, "received": sl.Received, "damaged": sl.Damaged})
	}
	return d.must(ctx, rng, strikeShare, inv, "POST", "/api/v1/leader/deliveries/"+d.s.date+"/sign", token, map[string]any{"lines": lines})
}

type pickupOrder struct {
	id, point, code string
}

// pickups: the customers read their arrived orders' codes, and the
// leaders verify three in four of them, some first at a wrong point.
func (d *day) pickups(ctx context.Context) (int, error) {
	byPoint := map[string][]pickupOrder{}
	for _, cu := range d.s.customers {
		var page struct {
			Items []struct {
				ID            string `json:"id"`
				Status        string `json:"status"`
				PickupPointID string `json:"pickup_point_id"`
				PickupCode    string `json:"pickup_code"`
				DeliveryDate  string `json:"delivery_date"`
			} `json:"items"`
		}
		if err := d.c.callAny(ctx, "GET", "/api/v1/orders?limit=500", cu.token, nil, &page); err != nil {
			return 0, err
		}
		for _, o := range page.Items {
			if o.Status == "arrived" && o.DeliveryDate == d.s.date && d.leaders[o.PickupPointID] != "" {
				byPoint[o.PickupPointID] = append(byPoint[o.PickupPointID], pickupOrder{o.ID, o.PickupPointID, o.PickupCode})
			}
		}
	}
	shown := 0
	var wg sync.WaitGroup
	for i, pp := range d.points {
		rng := rand.New(rand.NewPCG(d.seed, 200+uint64(i)))
		for _, o := range byPoint[pp] {
			if rng.Float64() >= collectShare {
				continue // never collected: the sweep makes it unclaimed
			}
			shown++
			wrong := ""
			if len(d.points) > 1 && rng.Float64() < wrongPointShare {
				for wrong == "" || wrong == pp {
					wrong = d.points[rng.IntN(len(d.points))]
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if wrong != "" {
					inv := Op{F: PickupOp, Key: "pickup-wrong-" + o.id, PickupPoint: wrong, OrderID: o.id, PickupCode: o.code}
					d.send(ctx, orderRand(d.seed, o.id, 1), pickupStrike, inv, "POST", "/api/v1/leader/pickups", d.leaders[wrong], map[string]string{"code": o.code})
				}
				inv := Op{F: PickupOp, Key: "pickup-" + o.id, PickupPoint: pp, OrderID: o.id, PickupCode: o.code}
				d.send(ctx, orderRand(d.seed, o.id, 2), pickupStrike, inv, "POST", "/api/v1/leader/pickups", d.leaders[pp], map[string]string{"code": o.code})
			}()
		}
	}
	wg.Wait()
	return shown, ctx.Err()
}

// orderRand is a random stream of its own for one order's requests.
func orderRand(seed uint64, id string, n uint64) *rand.Rand {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * 1099511628211
	}
	return rand.New(rand.NewPCG(seed^h, n))
}
