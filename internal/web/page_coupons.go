package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// Coupon pages: the customer's "my coupons", and the operator's coupons
// (define one, issue it to phone numbers or to every new customer). The
// choice of a coupon at checkout is in page_checkout.go.

func (s *Server) couponPageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
		h("GET", "/coupons", s.handleMyCouponsPage),
		h("GET", "/admin/coupons", s.handleAdminCouponsPage),
		h("POST", "/admin/coupons", s.onceForm(s.handleAdminCouponForm)),
		h("POST", "/admin/coupons/{id}/issue", s.onceForm(s.handleAdminIssueForm)),
	}
}

type couponRow struct {
	tuango.CustomerCoupon
	Shown     tuango.CouponStatus // its status now
	StatusKey string              // the message id of its status
	Until     string              // valid_to in Beijing time
}

func (s *Server) handleMyCouponsPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.userPage(w, r, "My coupons")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	mine, err := s.svc.MyCoupons(ctx, actor(pg.User))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	rows := make([]couponRow, 0, len(mine))
	for _, c := range mine {
		st := c.StatusAt(pg.now)
		rows = append(rows, couponRow{c, st, "coupon." + string(st), c.Coupon.ValidTo.In(shanghai).Format(formTimeShown)})
	}
	pg.Data = rows
	s.render(w, r, http.StatusOK, "customer/coupons", pg)
}

// formTimeShown is how a page shows a time, in Beijing time.
const formTimeShown = "2006-01-02 15:04"

// couponForm is the operator's "new coupon" form as typed.
type couponForm struct {
	Name, Kind, Off, Min, From, To string
	Errors                         map[string]string
}

type adminCouponsData struct {
	Coupons []adminCouponRow
	Form    couponForm
	Created string // the name of the coupon just created
	// The issue form's outcome: for which coupon, how many got it, or
	// what was wrong, and what was typed.
	IssueFor, IssueError, Phones string
	Issued                       int
	IssueDone                    bool
}

type adminCouponRow struct {
	tuango.Coupon
	KindKey, From, To string
}

func (s *Server) renderAdminCoupons(w http.ResponseWriter, r *http.Request, pg *page, status int, data *adminCouponsData) {
	ctx, cancel := pageRead(r)
	defer cancel()
	cs, err := s.svc.ListCoupons(ctx, actor(pg.User))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	for _, c := range cs {
		data.Coupons = append(data.Coupons, adminCouponRow{c, "coupon.kind." + string(c.Kind),
			c.ValidFrom.In(shanghai).Format(formTimeShown), c.ValidTo.In(shanghai).Format(formTimeShown)})
	}
	if data.Form.Errors == nil {
		data.Form.Errors = map[string]string{}
	}
	if data.Form.Kind == "" {
		data.Form.Kind = string(tuango.CouponThreshold)
	}
	pg.Data = data
	s.render(w, r, status, "admin/coupons", pg)
}

func (s *Server) handleAdminCouponsPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "Coupons", isStaff)
	if !ok {
		return
	}
	s.renderAdminCoupons(w, r, pg, http.StatusOK, &adminCouponsData{})
}

// couponFormField is the form field of a coupon's domain field.
var couponFormField = map[string]string{"name": "name", "kind": "kind", "amount_off_fen": "amount_off", "min_spend_fen": "min_spend",
	"valid_from": "valid_from", "valid_to": "valid_to"}

// handleAdminCouponForm defines a coupon from the form.
func (s *Server) handleAdminCouponForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Coupons", "/admin/coupons", isStaff)
	if !ok {
		return
	}
	f := couponForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Off: r.PostFormValue("amount_off"),
		Min: r.PostFormValue("min_spend"), From: r.PostFormValue("valid_from"), To: r.PostFormValue("valid_to"), Errors: map[string]string{}}
	fail := func(field string) { f.Errors[field] = pg.T("rule.coupon." + field) }
	c := &tuango.Coupon{Name: f.Name, Kind: tuango.CouponKind(f.Kind)}
	var good bool
	if c.AmountOffFen, good = parseYuan(f.Off); !good {
		fail("amount_off")
	}
	if c.MinSpendFen, good = parseYuan(f.Min); !good {
		fail("min_spend")
	}
	var err error
	if c.ValidFrom, err = time.ParseInLocation(formTime, f.From, shanghai); err != nil {
		fail("valid_from")
	}
	if c.ValidTo, err = time.ParseInLocation(formTime, f.To, shanghai); err != nil {
		fail("valid_to")
	}
	data := &adminCouponsData{Form: f}
	if len(f.Errors) > 0 {
		s.renderAdminCoupons(w, r, pg, http.StatusBadRequest, data)
		return
	}
	if err := s.actCreateCoupon(r.Context(), actor(pg.User), c); err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			if field, ok := couponFormField[fieldOf(err)]; ok {
				msg = pg.T("rule.coupon." + field)
				f.Errors[field] = msg
			} else {
				f.Errors["form"] = msg
			}
			s.renderAdminCoupons(w, r, pg, status, data)
		})
		return
	}
	s.renderAdminCoupons(w, r, pg, http.StatusOK, &adminCouponsData{Created: c.Name})
}

// handleAdminIssueForm issues a coupon to the phone numbers typed (one a
// line, or separated by commas or spaces), or to every new customer.
func (s *Server) handleAdminIssueForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Coupons", "/admin/coupons", isStaff)
	if !ok {
		return
	}
	id := r.PathValue("id")
	data := &adminCouponsData{IssueFor: id, Phones: r.PostFormValue("phones")}
	phones := strings.FieldsFunc(data.Phones, func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	req := tuango.IssueRequest{Phones: phones, AllNewCustomers: r.PostFormValue("all_new_customers") == "1"}
	n, err := s.actIssueCoupon(r.Context(), actor(pg.User), id, req)
	if err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			switch field := fieldOf(err); {
			case strings.HasPrefix(field, "phones["):
				i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(field, "phones["), "]"))
				if i >= 0 && i < len(phones) {
					msg = pg.T("No customer has the phone number %s.", phones[i])
				}
			case field == "user_ids" || field == "all_new_customers":
				msg = pg.T("rule.coupon.issue")
			}
			data.IssueError = msg
			s.renderAdminCoupons(w, r, pg, status, data)
		})
		return
	}
	data.IssueDone, data.Issued, data.Phones = true, n, ""
	s.renderAdminCoupons(w, r, pg, http.StatusOK, data)
}
