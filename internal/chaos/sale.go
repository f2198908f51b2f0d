package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"tuango/internal/demo"
)

// Every run starts from the demo data; its customers' phones run from
// 13900001001 (internal/demo).
const (
	demoFirstCustomer = 13900001001
	hotDeals          = 3
	hotLimit          = 2
)

type session struct {
	Token string `json:"token"`
	User  struct {
		ID                string `json:"id"`
		HomePickupPointID string `json:"home_pickup_point_id"`
	} `json:"user"`
}

// sale is a flash sale: a few hot deals and the customers who want them.
type sale struct {
	deals     []string
	customers []*customer
	operator  string // the operator's token
	city      string // the hot deals' city and delivery date
	date      string
}

// openSale has the operator put the hot deals on sale and logs the
// customers in, spread over the nodes. It fills setup's deals and
// customers.
func openSale(ctx context.Context, c *client, rng *rand.Rand, customers int, setup *Setup) (*sale, error) {
	n0 := c.nodes[0]
	var op session
	if err := c.loginOperator(ctx, n0, &op); err != nil {
		return nil, err
	}
	var pps struct {
		Items []struct {
			ID     string `json:"id"`
			CityID string `json:"city_id"`
		} `json:"items"`
	}
	if err := c.call(ctx, n0, "GET", "/api/v1/pickup-points", "", nil, &pps); err != nil {
		return nil, err
	}
	if len(pps.Items) == 0 {
		return nil, fmt.Errorf("chaos: the demo data has no pickup points")
	}
	pp := pps.Items[0]
	var live struct {
		Items []struct {
			ProductID string `json:"product_id"`
		} `json:"items"`
	}
	if err := c.call(ctx, n0, "GET", "/api/v1/deals?pickup_point_id="+pp.ID, "", nil, &live); err != nil {
		return nil, err
	}
	if len(live.Items) < hotDeals {
		return nil, fmt.Errorf("chaos: the demo data has %d live deals; want at least %d products to sell", len(live.Items), hotDeals)
	}
	now := time.Now().UTC()
	// Delivery the day after tomorrow in the city's time (the demo's
	// cities are on Shanghai time): the city's cutoff for it, 23:00 the
	// day before, is then at least a day away whatever the hour, and the
	// cutoff sweep cannot close the sale under the run.
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		shanghai = time.FixedZone("CST", 8*3600)
	}
	s := &sale{operator: op.Token, city: pp.CityID, date: now.In(shanghai).AddDate(0, 0, 2).Format(time.DateOnly)}
	setup.City, setup.DeliveryDate = s.city, s.date
	for i := range hotDeals {
		// Scaled to the crowd so that every deal sells out whatever the
		// nodes' throughput: oversell can only show when demand exceeds
		// stock. 200 customers get 33 to 66 units a deal.
		stock := max(2, customers/6+rng.IntN(customers/6+1))
		price := int64(990 + 100*rng.IntN(20))
		var d struct {
			ID    string `json:"id"`
			Stock int    `json:"stock"`
		}
		err := c.call(ctx, n0, "POST", "/api/v1/admin/deals", op.Token, map[string]any{
			"product_id": live.Items[i].ProductID, "city_id": pp.CityID, "title": fmt.Sprintf("【秒杀】chaos %d", i+1),
			"price_fen": price, "list_price_fen": 2 * price, "stock": stock, "limit_per_customer": hotLimit,
			"sale_starts_at": now.Add(-time.Hour).Format(time.RFC3339), "sale_ends_at": now.Add(6 * time.Hour).Format(time.RFC3339),
			"delivery_date": s.date,
		}, &d)
		if err != nil {
			return nil, err
		}
		if d.Stock != stock {
			return nil, fmt.Errorf("chaos: deal %s was created with stock %d, asked for %d", d.ID, d.Stock, stock)
		}
		s.deals = append(s.deals, d.ID)
		setup.Deals[d.ID] = DealSetup{Stock: stock, Limit: hotLimit}
	}
	if err := s.login(ctx, c, customers, pp.ID, setup); err != nil {
		return nil, err
	}
	return s, nil
}

// login logs each customer in on node i mod N, a few at a time.
func (s *sale) login(ctx context.Context, c *client, customers int, defaultPP string, setup *Setup) error {
	if customers > demo.NumCustomers {
		return fmt.Errorf("chaos: %d customers asked for; the demo data has %d", customers, demo.NumCustomers)
	}
	s.customers = make([]*customer, customers)
	errs := make([]error, customers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range customers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var ses session
			phone := fmt.Sprint(demoFirstCustomer + i)
			errs[i] = c.call(ctx, c.nodes[i%len(c.nodes)], "POST", "/api/v1/auth/login", "", map[string]string{"phone": phone, "password": demo.Password}, &ses)
			pp := ses.User.HomePickupPointID
			if pp == "" {
				pp = defaultPP
			}
			s.customers[i] = &customer{proc: i, userID: ses.User.ID, token: ses.Token, pickupPoint: pp}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return err
		}
		setup.Customers[i] = s.customers[i].userID
	}
	return nil
}
