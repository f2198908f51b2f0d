package web

import (
	"net/http"
	"slices"
	"strings"

	"tuango/internal/tuango"
)

const pickupCookie = "tuango_pp"

type pickupChoice struct {
	tuango.PickupPoint
	Home bool
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

// maxPickupChoices bounds the pickup points listed at once; a search
// narrows them.
const maxPickupChoices = 30

// findPickupPoints lists the pickup points whose name or address holds the
// query, open ones first; closed ones are shown as closed.
func (s *Server) findPickupPoints(r *http.Request, data *storefrontData, home string) error {
	ctx, cancel := pageRead(r)
	defer cancel()
	all, err := s.svc.Catalog().FindPickupPoints(ctx, tuango.PickupPointFilter{})
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
