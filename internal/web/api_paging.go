package web

import (
	"net/http"
	"strconv"

	"golang.org/x/text/message"

	"tuango/internal/tuango"
)

// listPage is a page of a list: its items, and the cursor of the next page,
// empty when there is no more.
type listPage[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func pageOf[S any, T any](items []S, next string, view func(*S) T) listPage[T] {
	return listPage[T]{Items: listOf(items, view).Items, NextCursor: next}
}

// pageQuery reads ?limit= and ?cursor=.
func pageQuery(r *http.Request) (int, string, error) {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, "", tuango.FieldError("limit", "must be a whole number")
		}
		if n == 0 {
			return 0, "", tuango.FieldError("limit", "must be at least 1")
		}
		limit = n
	}
	return limit, q.Get("cursor"), nil
}

type notificationView struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Text      string `json:"text"`
	OrderID   string `json:"order_id,omitempty"`
	CreatedAt string `json:"created_at"`
}

// viewNotification shows m worded by p (see notificationText).
func viewNotification(p *message.Printer) func(m *tuango.Message) notificationView {
	return func(m *tuango.Message) notificationView {
		return notificationView{ID: m.ID, Kind: string(m.Kind), Text: notificationText(p, m), OrderID: m.OrderID, CreatedAt: formatTime(m.CreatedAt)}
	}
}

func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	limit, cursor, err := pageQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	msgs, next, err := s.svc.Notifications(r.Context(), a, limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(msgs, next, viewNotification(newPrinter(apiLang(r)))))
}

// pageList cuts a page out of a whole list in its stable order: at most
// ?limit= items (200 by default) after the item the ?cursor= names. The
// cursor is opaque to clients; it names the page's last item by key.
func pageList[S any, T any](r *http.Request, items []S, key func(*S) string, view func(*S) T) (listPage[T], error) {
	limit, cursor, err := pageQuery(r)
	if err != nil {
		return listPage[T]{}, err
	}
	switch {
	case limit == 0:
		limit = tuango.DefaultPage
	case limit < 0 || limit > tuango.MaxPage:
		return listPage[T]{}, tuango.FieldError("limit", "must be between 1 and %d", tuango.MaxPage)
	}
	start := 0
	if cursor != "" {
		start = -1
		for i := range items {
			if "k:"+key(&items[i]) == cursor {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return listPage[T]{}, tuango.FieldError("cursor", "is not a cursor of this list")
		}
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = "k:" + key(&items[end-1])
	}
	return pageOf(items[start:end], next, view), nil
}
