package web

import (
	"net/http"

	"tuango/internal/tuango"
)

// Operator API. Updates are PATCH: the body's fields are laid over the
// current object, so a client sends only what changes.

func (s *Server) handleAdminCities(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	cities, err := s.svc.ListCities(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(cities, func(c *tuango.City) cityView { return cityView{c.ID, c.Name, c.TimeZone, c.Cutoff} }))
}

type supplierInput struct {
	Name    string `json:"name"`
	Contact string `json:"contact"`
}

func (s *Server) handleAdminSuppliers(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	sups, err := s.svc.ListSuppliers(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(sups, func(x *tuango.Supplier) supplierView { return supplierView{x.ID, x.Name, x.Contact} }))
}

func (s *Server) handleAdminCreateSupplier(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	s.saveSupplier(w, r, a, &tuango.Supplier{}, http.StatusCreated)
}

func (s *Server) handleAdminUpdateSupplier(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	cur, err := s.svc.GetSupplier(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.saveSupplier(w, r, a, cur, http.StatusOK)
}

func (s *Server) saveSupplier(w http.ResponseWriter, r *http.Request, a tuango.Actor, sup *tuango.Supplier, status int) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	in := supplierInput{Name: sup.Name, Contact: sup.Contact}
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	sup.Name, sup.Contact = in.Name, in.Contact
	if err := s.svc.SaveSupplier(r.Context(), a, sup); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, supplierView{sup.ID, sup.Name, sup.Contact})
}

type productInput struct {
	SupplierID string     `json:"supplier_id"`
	Name       string     `json:"name"`
	Category   string     `json:"category"`
	Unit       string     `json:"unit"`
	CostFen    tuango.Fen `json:"cost_fen"`
}

func (s *Server) handleAdminCreateProduct(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	s.saveProduct(w, r, a, &tuango.Product{}, http.StatusCreated)
}

func (s *Server) handleAdminUpdateProduct(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	cur, err := s.svc.GetProduct(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.saveProduct(w, r, a, cur, http.StatusOK)
}

func (s *Server) saveProduct(w http.ResponseWriter, r *http.Request, a tuango.Actor, p *tuango.Product, status int) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	in := productInput{p.SupplierID, p.Name, p.Category, p.Unit, p.CostFen}
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p.SupplierID, p.Name, p.Category, p.Unit, p.CostFen = in.SupplierID, in.Name, in.Category, in.Unit, in.CostFen
	if err := s.svc.SaveProduct(r.Context(), a, p); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, productView{p.ID, p.SupplierID, p.Name, p.Category, p.Unit, p.CostFen})
}

type dealInput struct {
	ProductID        string     `json:"product_id"`
	CityID           string     `json:"city_id"`
	Title            string     `json:"title"`
	PriceFen         tuango.Fen `json:"price_fen"`
	ListPriceFen     tuango.Fen `json:"list_price_fen"`
	Stock            int        `json:"stock"`
	LimitPerCustomer int        `json:"limit_per_customer"`
	SaleStartsAt     string     `json:"sale_starts_at"`
	SaleEndsAt       string     `json:"sale_ends_at"`
	DeliveryDate     string     `json:"delivery_date"`
}

func (s *Server) handleAdminCreateDeal(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	s.saveDeal(w, r, a, &tuango.Deal{}, http.StatusCreated)
}

func (s *Server) handleAdminDeal(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	d, err := s.svc.GetDeal(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewDeal(d, true))
}

func (s *Server) handleAdminUpdateDeal(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	cur, err := s.svc.GetDeal(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.saveDeal(w, r, a, cur, http.StatusOK)
}

func (s *Server) saveDeal(w http.ResponseWriter, r *http.Request, a tuango.Actor, d *tuango.Deal, status int) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	in := dealInput{d.ProductID, d.CityID, d.Title, d.PriceFen, d.ListPriceFen, d.Stock, d.LimitPerCustomer,
		formatTime(d.SaleStartsAt), formatTime(d.SaleEndsAt), d.DeliveryDate}
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	starts, err := parseTime("sale_starts_at", in.SaleStartsAt)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ends, err := parseTime("sale_ends_at", in.SaleEndsAt)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d.ProductID, d.CityID, d.Title, d.PriceFen, d.ListPriceFen = in.ProductID, in.CityID, in.Title, in.PriceFen, in.ListPriceFen
	d.Stock, d.LimitPerCustomer, d.SaleStartsAt, d.SaleEndsAt, d.DeliveryDate = in.Stock, in.LimitPerCustomer, starts, ends, in.DeliveryDate
	if err := s.svc.SaveDeal(r.Context(), a, d); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, viewDeal(d, true))
}

type pickupPointInput struct {
	CityID        string `json:"city_id"`
	RouteID       string `json:"route_id"`
	Name          string `json:"name"`
	Address       string `json:"address"`
	LeaderID      string `json:"leader_id"`
	CommissionBps int    `json:"commission_bps"`
	Active        bool   `json:"active"`
}

func (s *Server) handleAdminCreatePickupPoint(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	s.savePickupPoint(w, r, a, &tuango.PickupPoint{Active: true}, http.StatusCreated)
}

func (s *Server) handleAdminUpdatePickupPoint(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	cur, err := s.svc.GetPickupPoint(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.savePickupPoint(w, r, a, cur, http.StatusOK)
}

func (s *Server) savePickupPoint(w http.ResponseWriter, r *http.Request, a tuango.Actor, p *tuango.PickupPoint, status int) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	in := pickupPointInput{p.CityID, p.RouteID, p.Name, p.Address, p.LeaderID, p.CommissionBps, p.Active}
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	p.CityID, p.RouteID, p.Name, p.Address, p.LeaderID, p.CommissionBps, p.Active = in.CityID, in.RouteID, in.Name, in.Address, in.LeaderID, in.CommissionBps, in.Active
	if err := s.svc.SavePickupPoint(r.Context(), a, p); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, viewPickupPoint(p))
}

func (s *Server) handleAdminCreateLeader(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in credentials
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.CreateLeader(r.Context(), a, tuango.NewAccount{Phone: in.Phone, Password: in.Password, Name: in.Name})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewUser(u))
}

func (s *Server) handleAdminUpdateLeader(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	u, err := s.svc.GetLeader(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	in := struct {
		Name string `json:"name"`
	}{u.Name}
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u.Name = in.Name
	if err := s.svc.UpdateLeader(r.Context(), a, u); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewUser(u))
}
