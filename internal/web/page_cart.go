package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"tuango/internal/tuango"
)

// The cart lives in a cookie of the visitor's browser, not on a node: any
// node serves it, and nothing is lost when one dies. It holds deal ids and
// quantities only; prices and stock are read fresh on every page.
const cartCookie = "tuango_cart"

type cartLine struct {
	DealID   string
	Quantity int
}

// readCart parses the cart cookie, "deal:qty.deal:qty", dropping anything
// malformed.
func readCart(r *http.Request) []cartLine {
	c, err := r.Cookie(cartCookie)
	if err != nil {
		return nil
	}
	return parseCart(c.Value)
}

func parseCart(v string) []cartLine {
	var out []cartLine
	seen := map[string]bool{}
	for _, part := range strings.Split(v, ".") {
		id, q, ok := strings.Cut(part, ":")
		n, err := strconv.Atoi(q)
		if !ok || err != nil || n < 1 || n > tuango.MaxQuantity || !validID(id) || seen[id] || len(out) >= tuango.MaxOrderLines {
			continue
		}
		seen[id] = true
		out = append(out, cartLine{id, n})
	}
	return out
}

// cartQuantity is how many units of a deal the cart cookie holds.
func cartQuantity(r *http.Request, dealID string) int {
	for _, l := range readCart(r) {
		if l.DealID == dealID {
			return l.Quantity
		}
	}
	return 0
}

func formatCart(lines []cartLine) string {
	parts := make([]string, 0, len(lines))
	for _, l := range lines {
		parts = append(parts, l.DealID+":"+strconv.Itoa(l.Quantity))
	}
	return strings.Join(parts, ".")
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func (s *Server) writeCart(w http.ResponseWriter, lines []cartLine) {
	c := &http.Cookie{Name: cartCookie, Value: formatCart(lines), Path: "/", MaxAge: 7 * 24 * 3600, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode}
	if len(lines) == 0 {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// cartRow is a cart line with what the deal is now.
type cartRow struct {
	cartLine
	Deal   tuango.Deal
	Amount tuango.Fen
	Live   bool
	Max    int    // the most the line may hold: the deal's limit per customer
	Capped bool   // the cart held more than Max; the line counts Max
	Error  string // what is wrong with the line, in the user's words
}

type cartData struct {
	Rows  []cartRow
	Total tuango.Fen
	Point *tuango.PickupPoint
	Error string // why the order was not placed, when checkout sent the customer back here
}

// cartMax is the most units of d one cart line may hold.
func cartMax(d tuango.Deal) int { return max(1, min(d.LimitPerCustomer, tuango.MaxQuantity)) }

// loadCart reads the deals of lines and the pickup point; lines whose deal
// no longer exists are dropped, and a line over its deal's limit counts
// the limit, so that neither the cart nor checkout shows more than may be
// bought.
func (s *Server) loadCart(r *http.Request, pg *page, lines []cartLine) (cartData, error) {
	ctx, cancel := pageRead(r)
	defer cancel()
	var data cartData
	if len(lines) > 0 {
		ids := make([]string, len(lines))
		for i, l := range lines {
			ids[i] = l.DealID
		}
		deals, err := s.svc.Store().FindDeals(ctx, tuango.DealFilter{IDs: ids})
		if err != nil {
			return data, err
		}
		byID := map[string]tuango.Deal{}
		for _, d := range deals {
			byID[d.ID] = d
		}
		for _, l := range lines {
			d, ok := byID[l.DealID]
			if !ok {
				continue
			}
			row := cartRow{cartLine: l, Deal: d, Live: d.LiveAt(pg.now), Max: cartMax(d)}
			if row.Quantity > row.Max {
				row.Quantity, row.Capped = row.Max, true
			}
			row.Amount = d.PriceFen * tuango.Fen(row.Quantity)
			if row.Live {
				data.Total += row.Amount
			}
			data.Rows = append(data.Rows, row)
		}
	}
	if id := homePickupPoint(r, pg.User); id != "" {
		pp, err := s.svc.GetPickupPoint(ctx, id)
		if err != nil && !tuango.IsNotFound(err) {
			return data, err
		}
		if err == nil && pp.Active {
			data.Point = pp
		}
	}
	return data, nil
}

func (s *Server) handleCartPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.openPage(w, r, "Cart")
	if !ok {
		return
	}
	data, err := s.loadCart(r, pg, readCart(r))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	s.renderCart(w, r, pg, http.StatusOK, data)
}

func (s *Server) renderCart(w http.ResponseWriter, r *http.Request, pg *page, status int, data cartData) {
	pg.Title = pg.T("Cart")
	pg.Data = data
	s.render(w, r, status, "customer/cart", pg)
}

// handleCartUpdate adds a deal to the cart, or changes or removes lines.
func (s *Server) handleCartUpdate(w http.ResponseWriter, r *http.Request) {
	u, session, err := s.checkForm(w, r)
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	pg := s.newPage(w, r, "Cart")
	pg.User, pg.CSRF = u, s.csrfToken(s.formBinding(w, r, session))
	switch r.PostFormValue("action") {
	case "add":
		s.addToCart(w, r, pg)
	case "update":
		s.updateCart(w, r, pg)
	default:
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
	}
}

// addToCart puts one more unit of a deal in the cart, up to the deal's
// limit per customer; at the limit the storefront says so (full=1).
func (s *Server) addToCart(w http.ResponseWriter, r *http.Request, pg *page) {
	id := r.PostFormValue("deal_id")
	if !validID(id) {
		s.pageError(w, r, pg, tuango.FieldError("deal_id", "is not a valid id"))
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	d, err := s.svc.Store().FindDealByID(ctx, id)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	lines := readCart(r)
	i := slices.IndexFunc(lines, func(l cartLine) bool { return l.DealID == id })
	if i < 0 && len(lines) < tuango.MaxOrderLines {
		lines, i = append(lines, cartLine{id, 0}), len(lines)
	}
	to := "/?added=" + id
	if i >= 0 {
		had := lines[i].Quantity
		lines[i].Quantity = min(had+1, cartMax(*d))
		if lines[i].Quantity <= had {
			to += "&full=1"
		}
	}
	s.writeCart(w, lines)
	http.Redirect(w, r, to+"#deal-"+id, http.StatusSeeOther)
}

// updateCart changes the quantities of the cart form and removes lines
// set to 0 or asked to go. A quantity that is not a whole number from 0 to
// the line's limit leaves its line as it was and shows the cart again
// with the rule next to the line; the other lines' changes are kept.
func (s *Server) updateCart(w http.ResponseWriter, r *http.Request, pg *page) {
	cart, err := s.loadCart(r, pg, readCart(r))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	var kept []cartLine
	bad := map[string]string{}
	for _, row := range cart.Rows {
		if r.PostFormValue("remove") == row.DealID {
			continue
		}
		if v := strings.TrimSpace(r.PostFormValue("qty_" + row.DealID)); v != "" {
			n, err := strconv.Atoi(v)
			switch {
			case err != nil || n < 0 || n > row.Max:
				bad[row.DealID] = pg.T("cart.quantity_rule", row.Max)
			case n == 0:
				continue
			default:
				row.Quantity = n
			}
		}
		kept = append(kept, row.cartLine)
	}
	s.writeCart(w, kept)
	if len(bad) == 0 {
		http.Redirect(w, r, "/cart", http.StatusSeeOther)
		return
	}
	cart, err = s.loadCart(r, pg, kept)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	for i := range cart.Rows {
		cart.Rows[i].Error = bad[cart.Rows[i].DealID]
	}
	s.renderCart(w, r, pg, http.StatusBadRequest, cart)
}
