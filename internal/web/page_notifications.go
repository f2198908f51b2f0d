package web

import (
	"net/http"

	"tuango/internal/tuango"
)

// The customer's side of the day after the order: the inbox, and the
// pickup code's QR image for the order page.

type inboxPage struct {
	Items []inboxItem
	Next  string
}

type inboxItem struct {
	Kind, Text, OrderID, At string
}

func (s *Server) handleNotificationsPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.userPage(w, r, "My notifications")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	msgs, next, err := s.svc.Notifications(ctx, actor(pg.User), 50, r.URL.Query().Get("cursor"))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	data := inboxPage{Next: next}
	for _, m := range msgs {
		data.Items = append(data.Items, inboxItem{Kind: pg.T(notificationKey(m.Kind)), Text: notificationText(pg.p, &m), OrderID: m.OrderID, At: m.CreatedAt.In(shanghai).Format("01-02 15:04")})
	}
	pg.Data = data
	s.render(w, r, http.StatusOK, "customer/notifications", pg)
}

// notificationKey is the message id of a kind of notification.
func notificationKey(k tuango.NotificationKind) string { return "kind." + string(k) }

// handlePickupCodePage serves the order page's QR image of the pickup
// code with the session cookie, to the order's owner only.
func (s *Server) handlePickupCodePage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.userPage(w, r, "Order")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	img, err := s.pickupCodePNG(ctx, actor(pg.User), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	writePNG(w, img)
}
