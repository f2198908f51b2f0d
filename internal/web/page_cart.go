package web

import (
	"net/http"
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
}

type cartData struct {
	Rows  []cartRow
	Total tuango.Fen
	Point *tuango.PickupPoint
}

// loadCart reads the cart's deals and the pickup point; lines whose deal
// no longer exists are dropped.
func (s *Server) loadCart(r *http.Request, pg *page) (cartData, error) {
	ctx, cancel := pageRead(r)
	defer cancel()
	var data cartData
	lines := readCart(r)
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
			row := cartRow{cartLine: l, Deal: d, Amount: d.PriceFen * tuango.Fen(l.Quantity), Live: d.LiveAt(pg.now)}
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
	data, err := s.loadCart(r, pg)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	pg.Data = data
	s.render(w, r, http.StatusOK, "customer/cart", pg)
}

// handleCartUpdate adds a deal to the cart, or changes or removes lines.
func (s *Server) handleCartUpdate(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.checkForm(w, r); err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	lines := readCart(r)
	switch r.PostFormValue("action") {
	case "add":
		id := r.PostFormValue("deal_id")
		if !validID(id) {
			s.pageError(w, r, nil, tuango.FieldError("deal_id", "is not a valid id"))
			return
		}
		found := false
		for i := range lines {
			if lines[i].DealID == id {
				lines[i].Quantity = min(lines[i].Quantity+1, tuango.MaxQuantity)
				found = true
			}
		}
		if !found && len(lines) < tuango.MaxOrderLines {
			lines = append(lines, cartLine{id, 1})
		}
		s.writeCart(w, lines)
		http.Redirect(w, r, "/?added="+id+"#deal-"+id, http.StatusSeeOther)
		return
	case "update":
		kept := lines[:0]
		for _, l := range lines {
			if r.PostFormValue("remove") == l.DealID {
				continue
			}
			if v := r.PostFormValue("qty_" + l.DealID); v != "" {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n < 0 || n > tuango.MaxQuantity {
					s.pageError(w, r, nil, tuango.FieldError("quantity", "must be a whole number from 0 to %d", tuango.MaxQuantity))
					return
				}
				if n == 0 {
					continue
				}
				l.Quantity = n
			}
			kept = append(kept, l)
		}
		s.writeCart(w, kept)
	}
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
}
