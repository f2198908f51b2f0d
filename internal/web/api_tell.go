package web

import (
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

// Telling people: webhook subscribers and their deliveries (staff), and
// customers' feedback with the operators' queue.

type webhookRequest struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events"`
}

// webhookView never carries the secret.
type webhookView struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	CreatedBy string   `json:"created_by"`
	CreatedAt string   `json:"created_at"`
}

func viewWebhook(w *tuango.Webhook) webhookView {
	return webhookView{ID: w.ID, URL: w.URL, Events: w.Events, CreatedBy: w.CreatedBy, CreatedAt: formatTime(w.CreatedAt)}
}

type webhookDeliveryView struct {
	ID             string `json:"id"`
	WebhookID      string `json:"webhook_id"`
	AnnouncementID string `json:"announcement_id"`
	Event          string `json:"event"`
	Status         string `json:"status"`
	Attempts       int    `json:"attempts"`
	NextAt         string `json:"next_at,omitempty"`
	LastError      string `json:"last_error,omitempty"`
	CreatedAt      string `json:"created_at"`
	FinishedAt     string `json:"finished_at,omitempty"`
}

func viewWebhookDelivery(d *tuango.WebhookDelivery) webhookDeliveryView {
	v := webhookDeliveryView{ID: d.ID, WebhookID: d.WebhookID, AnnouncementID: d.AnnouncementID, Event: d.Event, Status: string(d.Status),
		Attempts: d.Attempts, LastError: d.LastError, CreatedAt: formatTime(d.CreatedAt), FinishedAt: formatTime(d.FinishedAt)}
	if d.Status == tuango.DeliveryPending {
		v.NextAt = formatTime(d.NextAt)
	}
	return v
}

func (s *Server) handleAdminCreateWebhook(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in webhookRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	hook, err := s.svc.CreateWebhook(r.Context(), a, tuango.CreateWebhookRequest{URL: in.URL, Secret: in.Secret, Events: in.Events})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewWebhook(hook))
}

func (s *Server) handleAdminWebhooks(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	hooks, err := s.svc.Webhooks(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(hooks, viewWebhook))
}

func (s *Server) handleAdminDeleteWebhook(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := s.svc.DeleteWebhook(r.Context(), a, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleAdminWebhookDeliveries(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := deliveryFilter(r.PathValue("id"), r.URL.Query().Get("status"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds, err := s.svc.WebhookDeliveries(r.Context(), a, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(ds, viewWebhookDelivery))
}

// deliveryFilter reads the deliveries asked for: of one webhook (all when
// webhookID is empty), in one status or any.
func deliveryFilter(webhookID, status string) (tuango.DeliveryFilter, error) {
	f := tuango.DeliveryFilter{WebhookID: webhookID, Status: tuango.DeliveryStatus(status)}
	switch f.Status {
	case "", tuango.DeliveryPending, tuango.DeliveryDelivered, tuango.DeliveryFailed:
		return f, nil
	}
	return f, tuango.FieldError("status", "must be pending, delivered or failed")
}

type feedbackRequest struct {
	Text    string `json:"text"`
	OrderID string `json:"order_id"`
}

type feedbackView struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	UserName  string `json:"user_name,omitempty"`
	UserPhone string `json:"user_phone,omitempty"`
	OrderID   string `json:"order_id,omitempty"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
	HandledAt string `json:"handled_at,omitempty"`
	HandledBy string `json:"handled_by,omitempty"`
}

func viewFeedback(f *tuango.Feedback) feedbackView {
	return feedbackView{ID: f.ID, UserID: f.UserID, UserName: f.UserName, UserPhone: f.UserPhone, OrderID: f.OrderID, Text: f.Text,
		CreatedAt: formatTime(f.CreatedAt), HandledAt: formatTime(f.HandledAt), HandledBy: f.HandledBy}
}

func (s *Server) handleSendFeedback(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in feedbackRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.svc.SendFeedback(r.Context(), a, in.Text, strings.TrimSpace(in.OrderID))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewFeedback(f))
}

func (s *Server) handleAdminFeedback(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	f := tuango.FeedbackFilter{}
	switch r.URL.Query().Get("status") {
	case "", "open":
	case "handled":
		f.Handled = true
	default:
		s.writeError(w, r, tuango.FieldError("status", "must be open or handled"))
		return
	}
	items, err := s.svc.FeedbackQueue(r.Context(), a, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(items, viewFeedback))
}

func (s *Server) handleAdminHandleFeedback(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	f, err := s.svc.HandleFeedback(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewFeedback(f))
}

// orderRoutes are the requests whose 5xx answers are noted as failed
// orders for an incident's apology coupons.
var orderRoutes = map[string]bool{
	"POST /api/v1/orders":               true,
	"POST /api/v1/orders/{id}/payments": true,
	"POST /checkout":                    true,
	"POST /orders/{id}/pay":             true,
}

// noteFailedOrder notes the caller of an order request answered 5xx.
func (s *Server) noteFailedOrder(r *http.Request, status int) {
	if status < 500 || !orderRoutes[r.Pattern] || s.svc == nil {
		return
	}
	token := bearer(r)
	if token == "" {
		if c, err := r.Cookie(sessionCookie); err == nil {
			token = c.Value
		}
	}
	s.svc.NoteOrderFailure(token)
}
