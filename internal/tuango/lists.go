package tuango

import (
	"context"
	"sort"
)

// The lists a cutoff produces. Every one is a view of the same sums — the
// units of the city's delivered orders (confirmed or later) for the date,
// per pickup point and deal — so that their units agree per product by
// construction; an order cancelled before the cutoff is in none.

// PurchaseOrder is what the platform buys from one supplier for a city and
// delivery date, delivered to the city's central warehouse.
type PurchaseOrder struct {
	ID           string
	SupplierID   string
	CityID       string
	DeliveryDate string
	WarehouseID  string // the city's central warehouse
	Lines        []PurchaseOrderLine
	TotalFen     Fen
}

// PurchaseOrderLine is one product of a purchase order at one unit cost
// (the cost snapshotted on the order lines when they were placed).
type PurchaseOrderLine struct {
	ProductID   string
	Title       string
	Quantity    int
	UnitCostFen Fen
	AmountFen   Fen
}

// SortingList is what a grid warehouse sorts for each of its pickup points.
type SortingList struct {
	WarehouseID string
	Lines       []SortingLine
}

// SortingLine is the units of one product for one pickup point.
type SortingLine struct {
	PickupPointID string
	ProductID     string
	Title         string
	Quantity      int
}

// Manifest is a route's load: its stops in order and what each receives.
type Manifest struct {
	RouteID string
	Stops   []ManifestStop
}

// ManifestStop is one pickup point on a route.
type ManifestStop struct {
	Seq           int
	PickupPointID string
	Orders        int
	Lines         []ProductUnits
}

// ProductUnits is a number of units of a product.
type ProductUnits struct {
	ProductID string
	Title     string
	Quantity  int
}

// DayLists is everything a cutoff produces for a city and date.
type DayLists struct {
	PurchaseOrders []PurchaseOrder
	SortingLists   []SortingList
	Manifests      []Manifest
	orders, units  int
}

// ListsFor returns a city's lists for a delivery date, for operators.
func (s *Service) ListsFor(ctx context.Context, a Actor, cityID, date string) (*DayLists, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	if err := s.cutoffDone(ctx, cityID, date); err != nil {
		return nil, err
	}
	return s.dayLists(ctx, s.store, cityID, date)
}

// SupplierPurchaseOrders returns a supplier account's own purchase orders
// for a delivery date, over every city whose cutoff for it finished.
func (s *Service) SupplierPurchaseOrders(ctx context.Context, a Actor, date string) ([]PurchaseOrder, error) {
	if a.Role != RoleSupplier {
		return nil, Errorf(CodeForbidden, "this needs a supplier account")
	}
	u, err := s.store.FindUserByID(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	if !dateRE.MatchString(date) {
		return nil, FieldError("date", "must be a date written YYYY-MM-DD")
	}
	cities, err := s.store.FindCities(ctx)
	if err != nil {
		return nil, err
	}
	out := []PurchaseOrder{}
	for _, c := range cities {
		if s.cutoffDone(ctx, c.ID, date) != nil {
			continue
		}
		lists, err := s.dayLists(ctx, s.store, c.ID, date)
		if err != nil {
			return nil, err
		}
		for _, po := range lists.PurchaseOrders {
			if u.SupplierID != "" && po.SupplierID == u.SupplierID {
				out = append(out, po)
			}
		}
	}
	return out, nil
}

// cutoffDone fails with not_found unless the city's cutoff for the date
// has finished: before it, there are no lists.
func (s *Service) cutoffDone(ctx context.Context, cityID, date string) error {
	if err := checkID("city_id", cityID); err != nil {
		return err
	}
	if !dateRE.MatchString(date) {
		return FieldError("date", "must be a date written YYYY-MM-DD")
	}
	c, err := s.store.FindCutoff(ctx, cityID, date)
	if err != nil {
		return err
	}
	if c.FinishedAt.IsZero() {
		return Errorf(CodeNotFound, "the cutoff of %s for %s has not finished", cityID, date)
	}
	return nil
}

// dayLists builds every list from one sum of the day's units.
func (s *Service) dayLists(ctx context.Context, tx Store, cityID, date string) (*DayLists, error) {
	sum, err := tx.SumDeliveryUnits(ctx, cityID, date, DeliveredStatuses)
	if err != nil {
		return nil, err
	}
	out := &DayLists{PurchaseOrders: []PurchaseOrder{}, SortingLists: []SortingList{}, Manifests: []Manifest{}}
	if len(sum.Units) == 0 {
		return out, nil
	}
	dealSet, ppSet := map[string]bool{}, map[string]bool{}
	for _, u := range sum.Units {
		dealSet[u.DealID], ppSet[u.PickupPointID] = true, true
	}
	deals, err := tx.FindDeals(ctx, DealFilter{IDs: sortedKeys(dealSet)})
	if err != nil {
		return nil, err
	}
	dealOf := map[string]*Deal{}
	for i := range deals {
		dealOf[deals[i].ID] = &deals[i]
	}
	products := map[string]*Product{}
	for _, d := range deals {
		if products[d.ProductID] == nil {
			p, err := tx.FindProductByID(ctx, d.ProductID)
			if err != nil {
				return nil, err
			}
			products[p.ID] = p
		}
	}
	pps, err := tx.FindPickupPoints(ctx, PickupPointFilter{IDs: sortedKeys(ppSet)})
	if err != nil {
		return nil, err
	}
	ppOf := map[string]*PickupPoint{}
	for i := range pps {
		ppOf[pps[i].ID] = &pps[i]
	}
	routes, err := tx.FindRoutes(ctx, cityID)
	if err != nil {
		return nil, err
	}
	routeOf := map[string]*Route{}
	for i := range routes {
		routeOf[routes[i].ID] = &routes[i]
	}
	whs, err := tx.FindWarehouses(ctx, cityID)
	if err != nil {
		return nil, err
	}
	central := ""
	for _, w := range whs {
		if w.Kind == WarehouseCentral && (central == "" || w.ID < central) {
			central = w.ID
		}
	}

	type poKey struct {
		supplier, product string
		cost              Fen
	}
	type ppProduct struct{ pp, product string }
	po := map[poKey]int{}
	perPoint := map[ppProduct]int{}
	for _, u := range sum.Units {
		d := dealOf[u.DealID]
		if d == nil {
			continue
		}
		prd := products[d.ProductID]
		po[poKey{prd.SupplierID, prd.ID, u.UnitCostFen}] += u.Quantity
		perPoint[ppProduct{u.PickupPointID, prd.ID}] += u.Quantity
		out.units += u.Quantity
	}
	for _, n := range sum.Orders {
		out.orders += n
	}

	bySupplier := map[string]*PurchaseOrder{}
	for k, q := range po {
		p := bySupplier[k.supplier]
		if p == nil {
			p = &PurchaseOrder{ID: "po_" + cityID + "_" + date + "_" + k.supplier, SupplierID: k.supplier, CityID: cityID, DeliveryDate: date, WarehouseID: central}
			bySupplier[k.supplier] = p
		}
		amount := k.cost * Fen(q)
		p.Lines = append(p.Lines, PurchaseOrderLine{ProductID: k.product, Title: products[k.product].Name, Quantity: q, UnitCostFen: k.cost, AmountFen: amount})
		p.TotalFen += amount
	}
	for _, id := range sortedKeys(bySupplier) {
		p := bySupplier[id]
		sort.Slice(p.Lines, func(i, j int) bool {
			a, b := p.Lines[i], p.Lines[j]
			return a.ProductID < b.ProductID || (a.ProductID == b.ProductID && a.UnitCostFen < b.UnitCostFen)
		})
		out.PurchaseOrders = append(out.PurchaseOrders, *p)
	}

	sorting := map[string]*SortingList{}
	manifests := map[string]*Manifest{}
	stops := map[string]*ManifestStop{}
	for k, q := range perPoint {
		pp := ppOf[k.pp]
		routeID, wh := "", ""
		if pp != nil {
			routeID = pp.RouteID
		}
		if r := routeOf[routeID]; r != nil {
			wh = r.WarehouseID
		}
		sl := sorting[wh]
		if sl == nil {
			sl = &SortingList{WarehouseID: wh}
			sorting[wh] = sl
		}
		title := products[k.product].Name
		sl.Lines = append(sl.Lines, SortingLine{PickupPointID: k.pp, ProductID: k.product, Title: title, Quantity: q})
		m := manifests[routeID]
		if m == nil {
			m = &Manifest{RouteID: routeID}
			manifests[routeID] = m
		}
		st := stops[k.pp]
		if st == nil {
			seq := 0
			if pp != nil {
				seq = pp.StopSeq
			}
			st = &ManifestStop{Seq: seq, PickupPointID: k.pp, Orders: sum.Orders[k.pp]}
			stops[k.pp] = st
		}
		st.Lines = append(st.Lines, ProductUnits{ProductID: k.product, Title: title, Quantity: q})
	}
	for _, wh := range sortedKeys(sorting) {
		sl := sorting[wh]
		sort.Slice(sl.Lines, func(i, j int) bool {
			a, b := sl.Lines[i], sl.Lines[j]
			return a.PickupPointID < b.PickupPointID || (a.PickupPointID == b.PickupPointID && a.ProductID < b.ProductID)
		})
		out.SortingLists = append(out.SortingLists, *sl)
	}
	for ppID, st := range stops {
		sort.Slice(st.Lines, func(i, j int) bool { return st.Lines[i].ProductID < st.Lines[j].ProductID })
		routeID := ""
		if pp := ppOf[ppID]; pp != nil {
			routeID = pp.RouteID
		}
		manifests[routeID].Stops = append(manifests[routeID].Stops, *st)
	}
	for _, r := range sortedKeys(manifests) {
		m := manifests[r]
		sort.Slice(m.Stops, func(i, j int) bool {
			a, b := m.Stops[i], m.Stops[j]
			return a.Seq < b.Seq || (a.Seq == b.Seq && a.PickupPointID < b.PickupPointID)
		})
		out.Manifests = append(out.Manifests, *m)
	}
	return out, nil
}
