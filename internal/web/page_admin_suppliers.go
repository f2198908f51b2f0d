package web

import (
	"net/http"

	"tuango/internal/tuango"
)

type adminSupplierRow struct {
	tuango.Supplier
	Products []tuango.Product
}

// handleAdminSuppliersPage lists the suppliers and what each sells, at
// what cost to the platform.
func (s *Server) handleAdminSuppliersPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Suppliers")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	sups, err := s.svc.ListSuppliers(ctx, actor(pg.User))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	products, err := s.svc.Store().FindProducts(ctx, "")
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	bySupplier := map[string][]tuango.Product{}
	for _, p := range products {
		bySupplier[p.SupplierID] = append(bySupplier[p.SupplierID], p)
	}
	rows := make([]adminSupplierRow, 0, len(sups))
	for _, sup := range sups {
		rows = append(rows, adminSupplierRow{sup, bySupplier[sup.ID]})
	}
	pg.Data = rows
	s.render(w, r, http.StatusOK, "admin/suppliers", pg)
}
