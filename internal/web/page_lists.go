package web

import (
	"context"
	"net/http"
	"strconv"

	"tuango/internal/tuango"
)

// The cutoff's lists on pages: as tables in the user's language, for the
// supplier's and the operator's pages and their print views; their CSV
// and XLSX downloads are the API's exports (writeTable).

// printDoc is a printable list: a title and its tables.
type printDoc struct {
	Heading, Subtitle string
	Sections          []printSection
}

// printSection is one table of a printable list.
type printSection struct {
	Heading string
	Head    []string
	Rows    [][]string
	Foot    string
}

// names maps ids to names for the lists: cities, pickup points, routes,
// warehouses.
type names map[string]string

func (n names) of(id string) string {
	if v, ok := n[id]; ok && v != "" {
		return v
	}
	return id
}

// listNames reads the names the lists show instead of ids.
func (s *Server) listNames(ctx context.Context) (names, error) {
	st := s.svc.Store()
	n := names{}
	cities, err := st.FindCities(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cities {
		n[c.ID] = c.Name
		whs, err := st.FindWarehouses(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, w := range whs {
			n[w.ID] = w.Name
		}
		routes, err := st.FindRoutes(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, r := range routes {
			n[r.ID] = r.Name
		}
	}
	pps, err := st.FindPickupPoints(ctx, tuango.PickupPointFilter{})
	if err != nil {
		return nil, err
	}
	for _, pp := range pps {
		n[pp.ID] = pp.Name
	}
	sups, err := st.FindSuppliers(ctx)
	if err != nil {
		return nil, err
	}
	for _, sp := range sups {
		n[sp.ID] = sp.Name
	}
	return n, nil
}

func purchaseOrderSections(pg *page, n names, pos []tuango.PurchaseOrder) []printSection {
	out := make([]printSection, 0, len(pos))
	for _, p := range pos {
		sec := printSection{Heading: pg.T("Purchase order %s: %s, to %s", p.ID, n.of(p.SupplierID), n.of(p.WarehouseID)),
			Head: []string{pg.T("Product"), pg.T("Quantity"), pg.T("Unit cost"), pg.T("Amount")},
			Foot: pg.T("Total") + " " + pg.Money(p.TotalFen)}
		for _, l := range p.Lines {
			sec.Rows = append(sec.Rows, []string{l.Title, strconv.Itoa(l.Quantity), pg.Money(l.UnitCostFen), pg.Money(l.AmountFen)})
		}
		out = append(out, sec)
	}
	return out
}

func sortingListSections(pg *page, n names, ls []tuango.SortingList) []printSection {
	out := make([]printSection, 0, len(ls))
	for _, l := range ls {
		sec := printSection{Heading: pg.T("Sorting list of %s", n.of(l.WarehouseID)), Head: []string{pg.T("Pickup point"), pg.T("Product"), pg.T("Quantity")}}
		for _, x := range l.Lines {
			sec.Rows = append(sec.Rows, []string{n.of(x.PickupPointID), x.Title, strconv.Itoa(x.Quantity)})
		}
		out = append(out, sec)
	}
	return out
}

func manifestSections(pg *page, n names, ms []tuango.Manifest) []printSection {
	out := make([]printSection, 0, len(ms))
	for _, m := range ms {
		sec := printSection{Heading: pg.T("Manifest of %s", n.of(m.RouteID)), Head: []string{pg.T("Stop"), pg.T("Pickup point"), pg.T("Orders"), pg.T("Product"), pg.T("Quantity")}}
		for _, st := range m.Stops {
			for i, l := range st.Lines {
				row := []string{"", "", "", l.Title, strconv.Itoa(l.Quantity)}
				if i == 0 {
					row[0], row[1], row[2] = strconv.Itoa(st.Seq), n.of(st.PickupPointID), strconv.Itoa(st.Orders)
				}
				sec.Rows = append(sec.Rows, row)
			}
		}
		out = append(out, sec)
	}
	return out
}

// writeList answers a list as a download (?format=csv or xlsx, the API's
// tables) or as its print view (?format=print, or no format: what a person
// who opens the list's address reads); any other format is refused saying
// which there are.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, pg *page, name string, rows [][]string, doc printDoc) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "print":
		pg.Title, pg.Data = doc.Heading, doc
		s.render(w, r, http.StatusOK, "print", pg)
	case "csv", "xlsx":
		if err := writeTable(w, name, rows, f); err != nil {
			s.pageError(w, r, pg, err)
		}
	default:
		s.refusalPage(w, r, pg, pg.T("rule.list.format"))
	}
}
