package web

import (
	"html/template"
	"net/http"
	"net/url"
	"time"

	"tuango/internal/tuango"
)

// The supplier's page (/supplier): its own purchase orders for a delivery
// date, to download as CSV or XLSX or to print.

type supplierPageData struct {
	Date     string
	Query    template.URL // date=..., for the download links
	Sections []printSection
}

// supplierDate is the delivery date a supplier's page shows: the one asked
// for, or tomorrow's, the delivery whose cutoff runs tonight.
func supplierDate(r *http.Request, pg *page) string {
	if d := r.URL.Query().Get("date"); d != "" {
		return d
	}
	return pg.now.In(shanghai).Add(24 * time.Hour).Format("2006-01-02")
}

// supplierOrders starts a supplier's page and reads its own purchase
// orders for the page's date, and their sections as tables. On false the
// answer has been written.
func (s *Server) supplierOrders(w http.ResponseWriter, r *http.Request) (*page, string, []tuango.PurchaseOrder, []printSection, bool) {
	pg, ok := s.rolePage(w, r, "Purchase orders", isSupplier)
	if !ok {
		return nil, "", nil, nil, false
	}
	date := supplierDate(r, pg)
	ctx, cancel := pageRead(r)
	defer cancel()
	pos, err := s.svc.SupplierPurchaseOrders(ctx, actor(pg.User), date)
	var n names
	if err == nil {
		n, err = s.listNames(ctx)
	}
	if err != nil {
		s.pageError(w, r, pg, err)
		return nil, "", nil, nil, false
	}
	return pg, date, pos, purchaseOrderSections(pg, n, pos), true
}

func (s *Server) handleSupplierPage(w http.ResponseWriter, r *http.Request) {
	pg, date, _, secs, ok := s.supplierOrders(w, r)
	if !ok {
		return
	}
	pg.Data = supplierPageData{Date: date, Query: linkQuery(url.Values{"date": {date}}), Sections: secs}
	s.render(w, r, http.StatusOK, "supplier/purchase_orders", pg)
}

// handleSupplierExport answers the supplier's purchase orders as CSV, XLSX
// or a print view.
func (s *Server) handleSupplierExport(w http.ResponseWriter, r *http.Request) {
	pg, date, pos, secs, ok := s.supplierOrders(w, r)
	if !ok {
		return
	}
	s.writeList(w, r, pg, "purchase-orders-"+date, purchaseOrderRows(pos), printDoc{Heading: pg.T("Purchase orders for %s", date), Subtitle: pg.User.Name, Sections: secs})
}
