package web

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"tuango/internal/tuango"
)

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

type storefrontData struct {
	Point    *tuango.PickupPoint
	Deals    []dealCard
	Choose   bool
	Query    string
	Points   []pickupChoice
	More     int // matches not shown
	Added    string
	Full     string // the added deal's line was already at its limit, in words
	AsOf     string // set when shown from the last good copy
	Words    cardWords
	Notice   string
	CartSize int
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
	s.log.WarnContext(r.Context(), "storefront from the last good copy: the database did not answer", "pickup_point", c.Value, "err", err)
	data.Added, data.Full, data.Notice, data.CartSize = "", "", "", len(readCart(r))
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
		cat := s.svc.Catalog() // a standby's, with --db-read
		city, err := cat.FindCityByID(ctx, data.Point.CityID)
		if err != nil {
			return err
		}
		loc := cityTime(city)
		for _, d := range deals {
			was, ok, err := s.wasPrices.of(ctx, cat, &d)
			if err != nil {
				return err
			}
			data.Deals = append(data.Deals, newDealCard(pg, d, was, ok, loc))
			if d.ID == data.Added && q.Get("full") == "1" {
				data.Full = pg.T("cart.full", d.LimitPerCustomer, cartQuantity(r, d.ID))
			}
		}
		pg.Title = pg.T("Today's deals at %s", data.Point.Name)
	}
	pg.Data = data
	return nil
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
