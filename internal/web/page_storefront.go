package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"tuango/internal/tuango"
)

const pickupCookie = "tuango_pp"

// wasPriceWindow is how far before a price took effect the "was" price is
// looked for: China's rules on price marking compare a discount with the
// lowest price of the seven days before it.
const wasPriceWindow = 7 * 24 * time.Hour

// wasPrice returns the price a deal can truthfully say it was, from its
// history (oldest first), and whether there is one: the lowest price in
// force during the seven days before the current price took effect, when
// that is higher than the current price. A list price alone proves
// nothing. See docs/decisions.md.
func wasPrice(history []tuango.DealPrice, current tuango.Fen) (tuango.Fen, bool) {
	if len(history) < 2 {
		return 0, false
	}
	cur := history[len(history)-1]
	if cur.PriceFen != current {
		return 0, false // the history does not describe the price shown
	}
	from := cur.EffectiveAt.Add(-wasPriceWindow)
	var low tuango.Fen
	found := false
	for i, p := range history[:len(history)-1] {
		// p was in force from its EffectiveAt until the next entry's.
		if !history[i+1].EffectiveAt.After(from) {
			continue
		}
		if !found || p.PriceFen < low {
			low, found = p.PriceFen, true
		}
	}
	if !found || low <= current {
		return 0, false
	}
	return low, true
}

// dealCard is a deal as the storefront shows it, its words already in the
// page's language (rendering 80 cards through template method calls cost
// more than the database reads).
type dealCard struct {
	ID, Title, DeliveryDate string
	Price, Was              string // Was is empty unless the history proves it
	Stock, Limit, Pickup    string
	Cutoff                  string // the cutoff in the city's time, for people without script
	EndsAt                  string // RFC 3339, for the countdown
	SoldPct                 int    // of the stock, for the stock bar
	SoldOut                 bool
}

// cardWords are the words every card of a page shares.
type cardWords struct {
	AddToCart, SoldOut, WasLabel, CutoffIn, SaleEnded, Now string
}

func newCardWords(pg *page) cardWords {
	return cardWords{AddToCart: pg.T("Add to cart"), SoldOut: pg.T("Sold out"), WasLabel: pg.T("was"),
		CutoffIn: pg.T("Cutoff in"), SaleEnded: pg.T("Sale ended"), Now: pg.now.Format(time.RFC3339)}
}

type pickupChoice struct {
	tuango.PickupPoint
	Home bool
}

type storefrontData struct {
	Point    *tuango.PickupPoint
	Deals    []dealCard
	Choose   bool
	Query    string
	Points   []pickupChoice
	More     int // matches not shown
	Added    string
	AsOf     string // set when shown from the last good copy
	Words    cardWords
	Notice   string
	CartSize int
}

// homePickupPoint is the pickup point the visitor shops at: their
// account's, or the one their browser chose before logging in.
func homePickupPoint(r *http.Request, u *tuango.User) string {
	if u != nil && u.HomePickupPointID != "" {
		return u.HomePickupPointID
	}
	if c, err := r.Cookie(pickupCookie); err == nil {
		return c.Value
	}
	return ""
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(w, r, "Today's deals")
	err := s.withUser(w, r, pg)
	if err == nil {
		err = s.loadStorefront(r, pg)
	}
	if err == nil {
		data := pg.Data.(storefrontData)
		if data.Point != nil && !data.Choose {
			s.lastGood.put(data.Point.ID+" "+pg.Lang, data, pg.now)
			if c, err := r.Cookie(pickupCookie); err != nil || c.Value != data.Point.ID {
				s.setPickupCookie(w, data.Point.ID) // so that the copy below is found without the account
			}
		}
		s.render(w, r, http.StatusOK, "customer/storefront", pg)
		return
	}
	if !s.degraded(r, err) {
		s.errorPage(w, r, pg, err)
		return
	}
	// The database does not answer: show the deals as this node last saw
	// them, with ordering paused, rather than nothing.
	c, cerr := r.Cookie(pickupCookie)
	if cerr != nil || r.URL.Query().Has("q") || r.URL.Query().Has("change") {
		s.degradedPage(w, r, pg)
		return
	}
	data, at, ok := s.lastGood.get(c.Value+" "+pg.Lang, pg.now)
	if !ok {
		s.degradedPage(w, r, pg)
		return
	}
	s.log.Warn("storefront from the last good copy: the database did not answer", "request_id", requestID(r.Context()), "pickup_point", c.Value, "err", err)
	data.Added, data.Notice, data.CartSize = "", "", len(readCart(r))
	data.AsOf = pg.T("degraded.as_of", at.In(shanghai).Format("15:04"))
	pg.User, pg.CSRF, pg.Degraded, pg.Data = nil, "", true, data
	pg.Title = pg.T("Today's deals at %s", data.Point.Name)
	w.Header().Set("Retry-After", "30")
	s.render(w, r, http.StatusServiceUnavailable, "customer/storefront", pg)
}

// loadStorefront reads what the storefront shows into pg.Data.
func (s *Server) loadStorefront(r *http.Request, pg *page) error {
	ctx, cancel := pageRead(r)
	defer cancel()
	q := r.URL.Query()
	data := storefrontData{Query: strings.TrimSpace(q.Get("q")), Added: q.Get("added"), Words: newCardWords(pg), CartSize: len(readCart(r))}
	ppID := homePickupPoint(r, pg.User)
	if ppID != "" {
		pp, err := s.svc.GetPickupPoint(ctx, ppID)
		switch {
		case tuango.IsNotFound(err):
		case err != nil:
			return err
		case !pp.Active:
			data.Notice = pg.T("Your pickup point %s is closed; choose another.", pp.Name)
		default:
			data.Point = pp
		}
	}
	data.Choose = data.Point == nil || q.Has("change") || data.Query != ""
	if data.Choose {
		if err := s.findPickupPoints(r, &data, ppID); err != nil {
			return err
		}
	}
	if data.Point != nil {
		deals, err := s.svc.LiveDeals(ctx, data.Point.ID)
		if err != nil {
			return err
		}
		city, err := s.svc.Store().FindCityByID(ctx, data.Point.CityID)
		if err != nil {
			return err
		}
		loc := cityTime(city)
		for _, d := range deals {
			was, ok, err := s.wasPrices.of(ctx, s.svc.Store(), &d)
			if err != nil {
				return err
			}
			data.Deals = append(data.Deals, newDealCard(pg, d, was, ok, loc))
		}
		pg.Title = pg.T("Today's deals at %s", data.Point.Name)
	}
	pg.Data = data
	return nil
}

// lastGoodCopy keeps, per pickup point and language, the storefront this
// node last rendered, to show while the database does not answer. It is
// only ever a fallback: prices and stock may have moved, so ordering is
// paused and the page says when the copy is from.
type lastGoodCopy struct {
	mu sync.Mutex
	m  map[string]goodCopy
}

type goodCopy struct {
	data storefrontData
	at   time.Time
}

// lastGoodMaxAge is how old a copy may be and still be shown.
const lastGoodMaxAge = 30 * time.Minute

func (c *lastGoodCopy) put(key string, data storefrontData, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[string]goodCopy{}
	}
	c.m[key] = goodCopy{data, at}
}

func (c *lastGoodCopy) get(key string, now time.Time) (storefrontData, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.m[key]
	if !ok || now.Sub(g.at) > lastGoodMaxAge {
		return storefrontData{}, time.Time{}, false
	}
	return g.data, g.at, true
}

func newDealCard(pg *page, d tuango.Deal, was tuango.Fen, hasWas bool, loc *time.Location) dealCard {
	left := max(d.Remaining(), 0)
	c := dealCard{ID: d.ID, Title: d.Title, DeliveryDate: d.DeliveryDate, Price: pg.Money(d.PriceFen), SoldOut: left == 0,
		Limit: pg.T("Limit %d per customer", d.LimitPerCustomer), Pickup: pg.T("Pickup on %s", d.DeliveryDate),
		Cutoff: pg.T("Cutoff %s", d.SaleEndsAt.In(loc).Format("01-02 15:04")), EndsAt: d.SaleEndsAt.Format(time.RFC3339)}
	if hasWas {
		c.Was = pg.Money(was)
	}
	if d.Stock > 0 {
		c.SoldPct = min(100, d.Reserved*100/d.Stock)
	}
	c.Stock = pg.T("%d%% sold, %d left", c.SoldPct, left)
	return c
}

// wasPrices caches each deal's proven "was" price by the deal's last
// change: the history grows only when the deal is saved, which moves
// UpdatedAt, so a cached answer for the same UpdatedAt is still right, on
// any node.
type wasPrices struct {
	mu sync.Mutex
	m  map[string]wasEntry
}

type wasEntry struct {
	updated time.Time
	was     tuango.Fen
	ok      bool
}

// of returns a deal's "was" price, reading its history only when the deal
// changed since it was last read.
func (c *wasPrices) of(ctx context.Context, store tuango.Store, d *tuango.Deal) (tuango.Fen, bool, error) {
	c.mu.Lock()
	e, hit := c.m[d.ID]
	c.mu.Unlock()
	if hit && e.updated.Equal(d.UpdatedAt) {
		return e.was, e.ok, nil
	}
	history, err := store.FindDealPrices(ctx, d.ID)
	if err != nil {
		return 0, false, err
	}
	was, ok := wasPrice(history, d.PriceFen)
	c.mu.Lock()
	if c.m == nil || len(c.m) > 100_000 {
		c.m = map[string]wasEntry{}
	}
	c.m[d.ID] = wasEntry{d.UpdatedAt, was, ok}
	c.mu.Unlock()
	return was, ok, nil
}

// maxPickupChoices bounds the pickup points listed at once; a search
// narrows them.
const maxPickupChoices = 30

// findPickupPoints lists the pickup points whose name or address holds the
// query, open ones first; closed ones are shown as closed.
func (s *Server) findPickupPoints(r *http.Request, data *storefrontData, home string) error {
	ctx, cancel := pageRead(r)
	defer cancel()
	all, err := s.svc.Store().FindPickupPoints(ctx, tuango.PickupPointFilter{})
	if err != nil {
		return err
	}
	q := strings.ToLower(data.Query)
	var match []pickupChoice
	for _, p := range all {
		if q == "" || strings.Contains(strings.ToLower(p.Name), q) || strings.Contains(strings.ToLower(p.Address), q) {
			match = append(match, pickupChoice{p, p.ID == home})
		}
	}
	slices.SortStableFunc(match, func(a, b pickupChoice) int {
		if a.Active != b.Active {
			if a.Active {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	if len(match) > maxPickupChoices {
		data.More = len(match) - maxPickupChoices
		match = match[:maxPickupChoices]
	}
	data.Points = match
	return nil
}

func (s *Server) handleChoosePickupPoint(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.checkForm(w, r)
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	id := r.PostFormValue("pickup_point_id")
	if u != nil {
		err = s.actSetPickupPoint(r.Context(), actor(u), id)
	} else {
		ctx, cancel := pageRead(r)
		defer cancel()
		var pp *tuango.PickupPoint
		if pp, err = s.svc.GetPickupPoint(ctx, id); err == nil && !pp.Active {
			err = tuango.FieldError("pickup_point_id", "this pickup point is closed")
		}
	}
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	s.setPickupCookie(w, id)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) setPickupCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: pickupCookie, Value: id, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

var zones sync.Map // IANA name → *time.Location: LoadLocation reads a file each time

// cityTime is a city's time zone; Asia/Shanghai when it cannot be loaded.
func cityTime(c *tuango.City) *time.Location {
	if loc, ok := zones.Load(c.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		loc = shanghai
	}
	zones.Store(c.TimeZone, loc)
	return loc
}

type dealPageData struct {
	Card  dealCard
	Words cardWords
}

// handleDealPage shows one deal of the visitor's city.
func (s *Server) handleDealPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.openPage(w, r, "Deal")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	d, err := s.svc.Store().FindDealByID(ctx, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	if !d.LiveAt(pg.now) {
		s.pageError(w, r, pg, tuango.Errorf(tuango.CodeDealNotLive, "this deal is not on sale"))
		return
	}
	city, err := s.svc.Store().FindCityByID(ctx, d.CityID)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	was, ok, err := s.wasPrices.of(ctx, s.svc.Store(), d)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	pg.Title = d.Title
	pg.Data = dealPageData{Card: newDealCard(pg, *d, was, ok, cityTime(city)), Words: newCardWords(pg)}
	s.render(w, r, http.StatusOK, "customer/deal", pg)
}
