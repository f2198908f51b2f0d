package chaos

import (
	"context"
)

// The lists of the cutoff, as the checker compares them.
const (
	listPurchaseOrders = "purchase_orders"
	listSorting        = "sorting_lists"
	listManifests      = "manifests"
	listPick           = "pick_lists"
)

type unitsLine struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
}

// readLists reads every list of the cutoff through the API, the purchase
// orders a page of one at a time, and records the units per product in
// the history for the checker (rule 23).
func (d *day) readLists(ctx context.Context) error {
	units := map[string]map[string]int{listPurchaseOrders: {}, listSorting: {}, listManifests: {}, listPick: {}}
	q := "city_id=" + d.s.city + "&date=" + d.s.date
	for cursor, first := "", true; first || cursor != ""; first = false {
		var page struct {
			Items []struct {
				Lines []unitsLine `json:"lines"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		path := "/api/v1/admin/purchase-orders?limit=1&" + q
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if err := d.c.callAny(ctx, "GET", path, d.s.operator, nil, &page); err != nil {
			return err
		}
		for _, p := range page.Items {
			for _, l := range p.Lines {
				units[listPurchaseOrders][l.ProductID] += l.Quantity
			}
		}
		cursor = page.NextCursor
	}
	var sorting struct {
		Items []struct {
			Lines []unitsLine `json:"lines"`
		} `json:"items"`
	}
	if err := d.c.callAny(ctx, "GET", "/api/v1/admin/sorting-lists?limit=500&"+q, d.s.operator, nil, &sorting); err != nil {
		return err
	}
	for _, s := range sorting.Items {
		for _, l := range s.Lines {
			units[listSorting][l.ProductID] += l.Quantity
		}
	}
	var manifests struct {
		Items []struct {
			Stops []struct {
				Lines []unitsLine `json:"lines"`
			} `json:"stops"`
		} `json:"items"`
	}
	if err := d.c.callAny(ctx, "GET", "/api/v1/admin/manifests?limit=500&"+q, d.s.operator, nil, &manifests); err != nil {
		return err
	}
	for _, m := range manifests.Items {
		for _, st := range m.Stops {
			for _, l := range st.Lines {
				units[listManifests][l.ProductID] += l.Quantity
			}
		}
	}
	for _, pp := range d.points {
		var del struct {
			Lines []unitsLine `json:"lines"`
		}
		if err := d.c.callAny(ctx, "GET", "/api/v1/leader/deliveries/"+d.s.date, d.leaders[pp], nil, &del); err != nil {
			return err
		}
		for _, l := range del.Lines {
			units[listPick][l.ProductID] += l.Quantity
		}
	}
	inv := d.c.rec.Invoke(Op{Process: dayProcess, F: ListsOp})
	d.c.rec.Complete(inv, Op{Type: OK, Status: 200, Units: units})
	return nil
}
