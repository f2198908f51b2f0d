package web

import (
	"context"
	"net/http"
	"time"

	"tuango/internal/tuango"
)

// Operator API. POST creates an object from the body's fields; PATCH lays
// the fields present in the body over the object as it stands, in one
// transaction with the write (see tuango.Service.UpdateDeal), so a client
// sends only what changes and two clients changing different fields both
// keep their change. Each body is a patch: pointer fields, nil when absent.

// patcher is a decoded body that changes an object of type T.
type patcher[T any] interface{ apply(*T) error }

// set overwrites *dst with *v when the body had the field.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// createFrom decodes a body into in, applies it to v and creates v.
func createFrom[T, V any](s *Server, w http.ResponseWriter, r *http.Request, a tuango.Actor, in patcher[T], v *T,
	create func(context.Context, tuango.Actor, *T) error, view func(*T) V) {
	if _, err := decode(w, r, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := in.apply(v); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := create(r.Context(), a, v); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, view(v))
}

// patchWith decodes a body into in and applies it to the object named by
// the path's id.
func patchWith[T, V any](s *Server, w http.ResponseWriter, r *http.Request, a tuango.Actor, in patcher[T],
	update func(context.Context, tuango.Actor, string, func(*T) error) (*T, error), view func(*T) V) {
	if _, err := decode(w, r, in); err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := update(r.Context(), a, r.PathValue("id"), in.apply)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view(v))
}

func (s *Server) handleAdminCities(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	cities, err := s.svc.ListCities(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pg, err := pageList(r, cities, func(c *tuango.City) string { return c.ID }, viewCity)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

func (s *Server) handleAdminSuppliers(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	sups, err := s.svc.ListSuppliers(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pg, err := pageList(r, sups, func(x *tuango.Supplier) string { return x.ID }, viewSupplier)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

type supplierPatch struct {
	Name    *string `json:"name"`
	Contact *string `json:"contact"`
}

func (in *supplierPatch) apply(sup *tuango.Supplier) error {
	set(&sup.Name, in.Name)
	set(&sup.Contact, in.Contact)
	return nil
}

func (s *Server) handleAdminCreateSupplier(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	createFrom(s, w, r, a, &supplierPatch{}, &tuango.Supplier{}, s.svc.CreateSupplier, viewSupplier)
}

func (s *Server) handleAdminUpdateSupplier(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	patchWith(s, w, r, a, &supplierPatch{}, s.svc.UpdateSupplier, viewSupplier)
}

type productPatch struct {
	SupplierID *string     `json:"supplier_id"`
	Name       *string     `json:"name"`
	Category   *string     `json:"category"`
	Unit       *string     `json:"unit"`
	CostFen    *tuango.Fen `json:"cost_fen"`
}

func (in *productPatch) apply(p *tuango.Product) error {
	set(&p.SupplierID, in.SupplierID)
	set(&p.Name, in.Name)
	set(&p.Category, in.Category)
	set(&p.Unit, in.Unit)
	set(&p.CostFen, in.CostFen)
	return nil
}

func (s *Server) handleAdminCreateProduct(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	createFrom(s, w, r, a, &productPatch{}, &tuango.Product{}, s.svc.CreateProduct, viewProduct)
}

func (s *Server) handleAdminUpdateProduct(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	patchWith(s, w, r, a, &productPatch{}, s.svc.UpdateProduct, viewProduct)
}

type dealPatch struct {
	ProductID        *string     `json:"product_id"`
	CityID           *string     `json:"city_id"`
	Title            *string     `json:"title"`
	PriceFen         *tuango.Fen `json:"price_fen"`
	ListPriceFen     *tuango.Fen `json:"list_price_fen"`
	Stock            *int        `json:"stock"`
	LimitPerCustomer *int        `json:"limit_per_customer"`
	SaleStartsAt     *string     `json:"sale_starts_at"`
	SaleEndsAt       *string     `json:"sale_ends_at"`
	DeliveryDate     *string     `json:"delivery_date"`
	Flash            *bool       `json:"flash"`
}

func (in *dealPatch) apply(d *tuango.Deal) error {
	for _, t := range []struct {
		field string
		v     *string
		dst   *time.Time
	}{{"sale_starts_at", in.SaleStartsAt, &d.SaleStartsAt}, {"sale_ends_at", in.SaleEndsAt, &d.SaleEndsAt}} {
		if t.v == nil {
			continue
		}
		at, err := parseTime(t.field, *t.v)
		if err != nil {
			return err
		}
		*t.dst = at
	}
	set(&d.ProductID, in.ProductID)
	set(&d.CityID, in.CityID)
	set(&d.Title, in.Title)
	set(&d.PriceFen, in.PriceFen)
	set(&d.ListPriceFen, in.ListPriceFen)
	set(&d.Stock, in.Stock)
	set(&d.LimitPerCustomer, in.LimitPerCustomer)
	set(&d.DeliveryDate, in.DeliveryDate)
	set(&d.Flash, in.Flash)
	return nil
}

func viewStaffDeal(d *tuango.Deal) dealView { return viewDeal(d, true) }

func (s *Server) handleAdminCreateDeal(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	createFrom(s, w, r, a, &dealPatch{}, &tuango.Deal{}, s.svc.CreateDeal, viewStaffDeal)
}

func (s *Server) handleAdminDeal(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	d, err := s.svc.GetDeal(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewStaffDeal(d))
}

func (s *Server) handleAdminUpdateDeal(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	patchWith(s, w, r, a, &dealPatch{}, s.svc.UpdateDeal, viewStaffDeal)
}

type pickupPointPatch struct {
	CityID        *string `json:"city_id"`
	RouteID       *string `json:"route_id"`
	Name          *string `json:"name"`
	Address       *string `json:"address"`
	LeaderID      *string `json:"leader_id"`
	CommissionBps *int    `json:"commission_bps"`
	Active        *bool   `json:"active"`
	StopSeq       *int    `json:"stop_seq"`
}

func (in *pickupPointPatch) apply(p *tuango.PickupPoint) error {
	set(&p.CityID, in.CityID)
	set(&p.RouteID, in.RouteID)
	set(&p.Name, in.Name)
	set(&p.Address, in.Address)
	set(&p.LeaderID, in.LeaderID)
	set(&p.CommissionBps, in.CommissionBps)
	set(&p.Active, in.Active)
	set(&p.StopSeq, in.StopSeq)
	return nil
}

func (s *Server) handleAdminCreatePickupPoint(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	// A new pickup point is open unless the body says otherwise.
	createFrom(s, w, r, a, &pickupPointPatch{}, &tuango.PickupPoint{Active: true}, s.svc.CreatePickupPoint, viewPickupPoint)
}

func (s *Server) handleAdminUpdatePickupPoint(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	patchWith(s, w, r, a, &pickupPointPatch{}, s.svc.UpdatePickupPoint, viewPickupPoint)
}

func (s *Server) handleAdminCreateLeader(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
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

type leaderPatch struct {
	Name *string `json:"name"`
}

func (in *leaderPatch) apply(u *tuango.User) error {
	set(&u.Name, in.Name)
	return nil
}

func (s *Server) handleAdminUpdateLeader(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	patchWith(s, w, r, a, &leaderPatch{}, s.svc.UpdateLeader, viewUser)
}
