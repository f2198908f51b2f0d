package web

import (
	"net/http"

	"tuango/internal/tuango"
)

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
