package web

import (
	"net/http"

	"tuango/internal/tuango"
)

// The supplier's products (/supplier/products): what its account sells on
// tuango, read-only (the operator edits products), with the unit cost the
// purchase orders are priced at.

type supplierProductsData struct {
	Products []tuango.Product
}

func (s *Server) handleSupplierProductsPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "My products", isSupplier)
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	ps, err := s.svc.SupplierProducts(ctx, actor(pg.User))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	pg.Data = supplierProductsData{Products: ps}
	s.render(w, r, http.StatusOK, "supplier/products", pg)
}
