package web

import (
	"context"
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

func supplierEditor(pg *page, id string, v map[string]string) *editor {
	e := &editor{Title: pg.T("New supplier"), Action: "/admin/suppliers", Submit: pg.T("Create supplier"), Keyed: true}
	if id != "" {
		e.Title, e.Action, e.Submit, e.Keyed = pg.T("Edit supplier %s", v["name"]), "/admin/suppliers/"+id, pg.T("Save"), false
	}
	e.Fields = []editorField{
		{Name: "name", Label: pg.T("Name"), Type: "text", Value: v["name"]},
		{Name: "contact", Label: pg.T("Contact"), Type: "text", Value: v["contact"]},
	}
	return e
}

// handleAdminSupplierPage is the supplier editor.
func (s *Server) handleAdminSupplierPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Suppliers")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	id, v := r.PathValue("id"), map[string]string{}
	if id != "" {
		sup, err := s.svc.Store().FindSupplierByID(ctx, id)
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		v = map[string]string{"name": sup.Name, "contact": sup.Contact}
	}
	e := supplierEditor(pg, id, v)
	e.Saved = r.URL.Query().Has("saved")
	s.renderEditor(w, r, pg, http.StatusOK, e)
}

// handleAdminSupplierForm creates or edits a supplier.
func (s *Server) handleAdminSupplierForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffForm(w, r, "Suppliers")
	if !ok {
		return
	}
	id, v := r.PathValue("id"), formValues(r, "name", "contact")
	e := supplierEditor(pg, id, v)
	apply := func(sup *tuango.Supplier) error { sup.Name, sup.Contact = v["name"], v["contact"]; return nil }
	typed := &tuango.Supplier{}
	apply(typed)
	if e.refused(pg, "supplier", fieldErrors(typed.Validate, map[string]func(){
		"name":    func() { typed.Name = "x" },
		"contact": func() { typed.Contact = "" },
	})) {
		s.renderEditor(w, r, pg, http.StatusBadRequest, e)
		return
	}
	var err error
	if id == "" {
		sup := &tuango.Supplier{}
		apply(sup)
		err = s.actCreateSupplier(r.Context(), actor(pg.User), sup)
		id = sup.ID
	} else {
		_, err = s.actUpdateSupplier(r.Context(), actor(pg.User), id, apply)
	}
	s.finishEdit(w, r, pg, e, "supplier", err, "/admin/suppliers/"+id)
}

// productEditor is the form that creates a product (id "") or edits one,
// with the suppliers to choose from.
func (s *Server) productEditor(ctx context.Context, pg *page, id string, v map[string]string) (*editor, error) {
	sups, err := s.svc.ListSuppliers(ctx, actor(pg.User))
	if err != nil {
		return nil, err
	}
	opts := []option{{"", pg.T("Choose a supplier")}}
	for _, sup := range sups {
		opts = append(opts, option{sup.ID, sup.Name})
	}
	e := &editor{Title: pg.T("New product"), Action: "/admin/products", Submit: pg.T("Create product"), Keyed: true}
	if id != "" {
		e.Title, e.Action, e.Submit, e.Keyed = pg.T("Edit product %s", v["name"]), "/admin/products/"+id, pg.T("Save"), false
	}
	e.Fields = []editorField{
		{Name: "supplier_id", Label: pg.T("Supplier"), Type: "select", Value: v["supplier_id"], Options: opts},
		{Name: "name", Label: pg.T("Name"), Type: "text", Value: v["name"]},
		{Name: "category", Label: pg.T("Category"), Type: "text", Value: v["category"]},
		{Name: "unit", Label: pg.T("Unit"), Type: "text", Value: v["unit"]},
		{Name: "cost_fen", Label: pg.T("Cost (yuan)"), Type: "text", Value: v["cost_fen"]},
	}
	return e, nil
}

// handleAdminProductPage is the product editor; ?supplier= preselects
// the supplier of a new product.
func (s *Server) handleAdminProductPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Suppliers")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	id, v := r.PathValue("id"), map[string]string{"supplier_id": r.URL.Query().Get("supplier")}
	if id != "" {
		p, err := s.svc.Store().FindProductByID(ctx, id)
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		v = map[string]string{"supplier_id": p.SupplierID, "name": p.Name, "category": p.Category, "unit": p.Unit, "cost_fen": yuan(p.CostFen)}
	}
	e, err := s.productEditor(ctx, pg, id, v)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	e.Saved = r.URL.Query().Has("saved")
	s.renderEditor(w, r, pg, http.StatusOK, e)
}

// handleAdminProductForm creates or edits a product.
func (s *Server) handleAdminProductForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffForm(w, r, "Suppliers")
	if !ok {
		return
	}
	id, v := r.PathValue("id"), formValues(r, "supplier_id", "name", "category", "unit", "cost_fen")
	ctx, cancel := pageRead(r)
	defer cancel()
	e, err := s.productEditor(ctx, pg, id, v)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	cost, ok := parseYuan(v["cost_fen"])
	if !ok {
		e.fail(pg, "cost_fen", "rule.product.cost_fen")
	}
	apply := func(p *tuango.Product) error {
		p.SupplierID, p.Name, p.Category, p.Unit, p.CostFen = v["supplier_id"], v["name"], v["category"], v["unit"], cost
		return nil
	}
	typed := &tuango.Product{}
	apply(typed)
	if e.refused(pg, "product", fieldErrors(typed.Validate, map[string]func(){
		"supplier_id": func() { typed.SupplierID = "x" },
		"name":        func() { typed.Name = "x" },
		"category":    func() { typed.Category = "x" },
		"unit":        func() { typed.Unit = "x" },
		"cost_fen":    func() { typed.CostFen = 0 },
	})) {
		s.renderEditor(w, r, pg, http.StatusBadRequest, e)
		return
	}
	if id == "" {
		p := &tuango.Product{}
		apply(p)
		err = s.actCreateProduct(r.Context(), actor(pg.User), p)
		id = p.ID
	} else {
		_, err = s.actUpdateProduct(r.Context(), actor(pg.User), id, apply)
	}
	s.finishEdit(w, r, pg, e, "product", err, "/admin/products/"+id)
}
