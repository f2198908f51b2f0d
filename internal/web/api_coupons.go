package web

import (
	"net/http"

	"tuango/internal/tuango"
)

// Coupons: the operator defines and issues them, a customer lists theirs
// and names one when placing an order (see api_orders.go).

type couponRequest struct {
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`
	AmountOffFen tuango.Fen `json:"amount_off_fen"`
	MinSpendFen  tuango.Fen `json:"min_spend_fen"`
	ValidFrom    string     `json:"valid_from"`
	ValidTo      string     `json:"valid_to"`
}

// coupon turns the request into a coupon, its times parsed.
func (in *couponRequest) coupon() (*tuango.Coupon, error) {
	from, err := parseTime("valid_from", in.ValidFrom)
	if err != nil {
		return nil, err
	}
	to, err := parseTime("valid_to", in.ValidTo)
	if err != nil {
		return nil, err
	}
	return &tuango.Coupon{Name: in.Name, Kind: tuango.CouponKind(in.Kind), AmountOffFen: in.AmountOffFen, MinSpendFen: in.MinSpendFen,
		ValidFrom: from, ValidTo: to}, nil
}

type couponView struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`
	AmountOffFen tuango.Fen `json:"amount_off_fen"`
	MinSpendFen  tuango.Fen `json:"min_spend_fen"`
	ValidFrom    string     `json:"valid_from"`
	ValidTo      string     `json:"valid_to"`
	CreatedAt    string     `json:"created_at"`
}

func viewCoupon(c *tuango.Coupon) couponView {
	return couponView{ID: c.ID, Name: c.Name, Kind: string(c.Kind), AmountOffFen: c.AmountOffFen, MinSpendFen: c.MinSpendFen,
		ValidFrom: formatTime(c.ValidFrom), ValidTo: formatTime(c.ValidTo), CreatedAt: formatTime(c.CreatedAt)}
}

type customerCouponView struct {
	ID           string     `json:"id"`
	CouponID     string     `json:"coupon_id"`
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`
	AmountOffFen tuango.Fen `json:"amount_off_fen"`
	MinSpendFen  tuango.Fen `json:"min_spend_fen"`
	ValidFrom    string     `json:"valid_from"`
	ValidTo      string     `json:"valid_to"`
	Status       string     `json:"status"`
	OrderID      string     `json:"order_id,omitempty"`
}

func viewCustomerCoupon(c *tuango.CustomerCoupon, status tuango.CouponStatus) customerCouponView {
	return customerCouponView{ID: c.ID, CouponID: c.CouponID, Name: c.Coupon.Name, Kind: string(c.Coupon.Kind),
		AmountOffFen: c.Coupon.AmountOffFen, MinSpendFen: c.Coupon.MinSpendFen, ValidFrom: formatTime(c.Coupon.ValidFrom),
		ValidTo: formatTime(c.Coupon.ValidTo), Status: string(status), OrderID: c.OrderID}
}

func (s *Server) handleAdminCreateCoupon(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	// The role first: the times are parsed here, before the service sees them.
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in couponRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := in.coupon()
	if err == nil {
		err = s.svc.CreateCoupon(r.Context(), a, c)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewCoupon(c))
}

func (s *Server) handleAdminCoupons(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	cs, err := s.svc.ListCoupons(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(cs, viewCoupon))
}

type issueRequest struct {
	UserIDs         []string `json:"user_ids"`
	Phones          []string `json:"phones"`
	AllNewCustomers bool     `json:"all_new_customers"`
}

func (s *Server) handleAdminIssueCoupon(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in issueRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.svc.IssueCoupon(r.Context(), a, r.PathValue("id"), tuango.IssueRequest{UserIDs: in.UserIDs, Phones: in.Phones, AllNewCustomers: in.AllNewCustomers})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Issued int `json:"issued"`
	}{n})
}

func (s *Server) handleMyCoupons(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	cs, err := s.svc.MyCoupons(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.svc.Clock().Now()
	writeJSON(w, http.StatusOK, listOf(cs, func(c *tuango.CustomerCoupon) customerCouponView { return viewCustomerCoupon(c, c.StatusAt(now)) }))
}
