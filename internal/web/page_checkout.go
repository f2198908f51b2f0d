package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"tuango/internal/tuango"
)

type checkoutData struct {
	cartData
	Key   string // the idempotency key of this checkout
	Items string // the cart as the form sends it
	// Coupons are the customer's coupons that apply to the cart, the
	// largest discount first; the form offers them, and no coupon.
	Coupons []tuango.CouponChoice
}

// newPageKey makes the idempotency key a form carries from the moment it is
// rendered, so that a double submit or a reload acts once.
func newPageKey() string {
	var b [16]byte
	rand.Read(b[:])
	return "page-" + hex.EncodeToString(b[:])
}

// validPageKey reports whether key has the shape newPageKey gives.
func validPageKey(key string) bool {
	return strings.HasPrefix(key, "page-") && len(key) <= 64 && validID(key)
}

func (s *Server) handleCheckoutPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.userPage(w, r, "Check out")
	if !ok {
		return
	}
	cart, err := s.loadCart(r, pg, readCart(r))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	if cart.Point == nil {
		http.Redirect(w, r, "/?change=1", http.StatusSeeOther)
		return
	}
	var live []cartLine
	total := tuango.Fen(0) // what the order will come to: its live lines
	for _, row := range cart.Rows {
		if row.Live {
			live = append(live, row.cartLine)
			total += row.Amount
		}
	}
	if len(live) == 0 {
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	coupons, err := s.svc.ApplicableCoupons(ctx, actor(pg.User), total)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	pg.Data = checkoutData{cartData: cart, Key: newPageKey(), Items: formatCart(live), Coupons: coupons}
	s.render(w, r, http.StatusOK, "customer/checkout", pg)
}

// handleCheckout places the order the checkout form shows, exactly once
// per form, then starts its payment and sends the customer to pay.
func (s *Server) handleCheckout(w http.ResponseWriter, r *http.Request) {
	u, session, err := s.checkForm(w, r)
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	if u == nil {
		http.Redirect(w, r, "/login?next=/cart", http.StatusSeeOther)
		return
	}
	key, ppID, items := r.PostFormValue("key"), r.PostFormValue("pickup_point_id"), r.PostFormValue("items")
	if !validPageKey(key) {
		s.pageError(w, r, nil, tuango.FieldError("key", "the form is incomplete; reload the checkout page"))
		return
	}
	coupon := r.PostFormValue("coupon_id")
	req := tuango.PlaceOrderRequest{PickupPointID: ppID, CouponID: coupon}
	for _, l := range parseCart(items) {
		req.Items = append(req.Items, tuango.OrderItem{DealID: l.DealID, Quantity: l.Quantity})
	}
	sum := sha256.Sum256([]byte("page POST /checkout\n" + ppID + "\n" + items + "\n" + coupon))
	a := actor(u)
	orderID, err := s.actPlaceOrder(r.Context(), a, req, key, hex.EncodeToString(sum[:]))
	// A double submit arrives while the first is still being placed: wait
	// for its answer rather than show an error for an order that is fine.
	for i := 0; i < 20 && tuango.ErrorCode(err) == tuango.CodeIdemKeyInFlight; i++ {
		time.Sleep(100 * time.Millisecond)
		orderID, err = s.actPlaceOrder(r.Context(), a, req, key, hex.EncodeToString(sum[:]))
	}
	switch tuango.ErrorCode(err) {
	case tuango.CodeLimitExceeded, tuango.CodeSoldOut, tuango.CodeDealNotLive:
		pg := s.newPage(w, r, "Cart")
		pg.User, pg.CSRF = u, s.csrfToken(session)
		s.lineRefused(w, r, pg, req, err)
		return
	}
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	s.writeCart(w, nil)
	payID, err := s.actPay(r.Context(), a, orderID, key+"-pay")
	if err != nil {
		// The order stands; it can be paid from its page.
		s.log.WarnContext(r.Context(), "checkout: order placed, payment not started", "order", orderID, "err", err)
		http.Redirect(w, r, "/orders/"+orderID, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/sandbox/pay/"+payID, http.StatusSeeOther)
}

// lineRefused answers an order refused for one of its lines — over the
// deal's limit per customer (the server counts the customer's other
// orders, which the cart cannot), more than the stock left, or a deal no
// longer on sale — with the cart, kept, saying which deal and what is
// wrong, so that the customer can change that line and check out again.
func (s *Server) lineRefused(w http.ResponseWriter, r *http.Request, pg *page, req tuango.PlaceOrderRequest, err error) {
	var te *tuango.Error
	errors.As(err, &te)
	var i int
	if _, serr := fmt.Sscanf(te.Field, "items[%d].deal_id", &i); serr != nil || i < 0 || i >= len(req.Items) {
		s.pageError(w, r, pg, err)
		return
	}
	cart, lerr := s.loadCart(r, pg, readCart(r))
	if lerr != nil {
		s.pageError(w, r, pg, lerr)
		return
	}
	for j := range cart.Rows {
		if row := &cart.Rows[j]; row.DealID == req.Items[i].DealID {
			switch te.Code {
			case tuango.CodeSoldOut:
				left := max(row.Deal.Stock-row.Deal.Reserved, 0)
				row.Error = pg.T("cart.sold_out", left)
				cart.Error = pg.T("cart.not_placed_sold_out", row.Deal.Title, left)
			case tuango.CodeDealNotLive:
				row.Error = pg.T("cart.not_live")
				cart.Error = pg.T("cart.not_placed_not_live", row.Deal.Title)
			default:
				row.Error = pg.T("cart.over_limit", row.Deal.LimitPerCustomer)
				cart.Error = pg.T("cart.not_placed", row.Deal.Title, row.Deal.LimitPerCustomer)
			}
			s.renderCart(w, r, pg, pageStatus(te.Code), cart)
			return
		}
	}
	s.pageError(w, r, pg, err) // the deal has left the cart since the checkout page
}
