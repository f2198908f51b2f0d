package web

import (
	"net/http"
	"net/url"
	"strings"

	"tuango/internal/tuango"
)

// Telling people, as pages: the feedback form (/feedback, linked from the
// order page with ?order=ID, and a link target for the status page), the
// operators' feedback queue, and the webhooks page with its deliveries.

func (s *Server) tellPageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
		h("GET", "/feedback", s.handleFeedbackPage),
		h("POST", "/feedback", s.handleFeedbackForm),
		h("GET", "/admin/feedback", s.handleAdminFeedbackPage),
		h("POST", "/admin/feedback/{id}/handle", s.handleAdminFeedbackHandleForm),
		h("GET", "/admin/webhooks", s.handleAdminWebhooksPage),
		h("POST", "/admin/webhooks", s.onceForm(s.handleAdminWebhookForm)),
		h("POST", "/admin/webhooks/{id}/delete", s.handleAdminWebhookDeleteForm),
	}
}

// feedbackData is the feedback form: what was typed, what was wrong.
type feedbackData struct {
	Text, OrderID string
	Max           int
	Sent          bool
	Errors        map[string]string
}

func (s *Server) handleFeedbackPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.userPage(w, r, "tell.feedback.title")
	if !ok {
		return
	}
	order := strings.TrimSpace(r.URL.Query().Get("order"))
	if !validID(order) {
		order = ""
	}
	pg.Data = &feedbackData{OrderID: order, Max: tuango.MaxFeedbackText, Sent: r.URL.Query().Get("sent") == "1", Errors: map[string]string{}}
	s.render(w, r, http.StatusOK, "customer/feedback", pg)
}

// handleFeedbackForm sends the feedback and shows the form again, thanked
// (a redirect, so that reloading sends nothing twice) or with what was wrong.
func (s *Server) handleFeedbackForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "tell.feedback.title", "/feedback", func(tuango.Role) bool { return true })
	if !ok {
		return
	}
	data := &feedbackData{Text: r.PostFormValue("text"), OrderID: strings.TrimSpace(r.PostFormValue("order_id")), Max: tuango.MaxFeedbackText, Errors: map[string]string{}}
	_, err := s.actSendFeedback(r.Context(), actor(pg.User), data.Text, data.OrderID)
	if err == nil {
		http.Redirect(w, r, "/feedback?sent=1", http.StatusSeeOther)
		return
	}
	code := tuango.ErrorCode(err)
	if s.degraded(r, err) || code == tuango.CodeInternal || code == tuango.CodeForbidden {
		s.pageError(w, r, pg, err)
		return
	}
	status := Status(code)
	switch {
	case code == tuango.CodeNotFound:
		data.Errors["order_id"] = pg.T("tell.feedback.not_your_order")
	case fieldOf(err) == "text":
		data.Errors["text"] = pg.T("tell.feedback.text_rule", tuango.MaxFeedbackText)
	case code == tuango.CodeTooManyAttempts:
		data.Errors["form"] = pg.T("tell.feedback.too_many")
	default:
		_, msg := errorText(code)
		data.Errors["form"] = pg.T(msg)
	}
	pg.Data = data
	s.render(w, r, status, "customer/feedback", pg)
}

type adminFeedbackData struct {
	Handled, Done bool
	Items         []feedbackRow
}

type feedbackRow struct {
	tuango.Feedback
	When, HandledWhen string
}

func (s *Server) handleAdminFeedbackPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "tell.feedback.queue", isStaff)
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	data := &adminFeedbackData{Handled: r.URL.Query().Get("status") == "handled", Done: r.URL.Query().Get("done") == "1"}
	items, err := s.svc.FeedbackQueue(ctx, actor(pg.User), tuango.FeedbackFilter{Handled: data.Handled})
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	for _, f := range items {
		row := feedbackRow{Feedback: f, When: f.CreatedAt.In(shanghai).Format(formTimeShown)}
		if !f.HandledAt.IsZero() {
			row.HandledWhen = f.HandledAt.In(shanghai).Format(formTimeShown)
		}
		data.Items = append(data.Items, row)
	}
	pg.Data = data
	s.render(w, r, http.StatusOK, "admin/feedback", pg)
}

func (s *Server) handleAdminFeedbackHandleForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "tell.feedback.queue", "/admin/feedback", isStaff)
	if !ok {
		return
	}
	if _, err := s.actHandleFeedback(r.Context(), actor(pg.User), r.PathValue("id")); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	http.Redirect(w, r, "/admin/feedback?done=1", http.StatusSeeOther)
}

// webhookForm is the "new webhook" form as typed (never the secret).
type webhookForm struct {
	URL, Events string
	Errors      map[string]string
}

type adminWebhooksData struct {
	Hooks                      []webhookRow
	Deliveries                 []deliveryRow
	Pending, Delivered, Failed int
	Form                       webhookForm
	Created                    string
	Deleted                    bool
}

type webhookRow struct {
	tuango.Webhook
	EventList, Since string
}

type deliveryRow struct {
	tuango.WebhookDelivery
	StatusKey string
}

func (s *Server) renderAdminWebhooks(w http.ResponseWriter, r *http.Request, pg *page, status int, data *adminWebhooksData) {
	ctx, cancel := pageRead(r)
	defer cancel()
	a := actor(pg.User)
	hooks, err := s.svc.Webhooks(ctx, a)
	var ds []tuango.WebhookDelivery
	var counts map[tuango.DeliveryStatus]int
	if err == nil {
		ds, err = s.svc.WebhookDeliveries(ctx, a, tuango.DeliveryFilter{Limit: 50})
	}
	if err == nil {
		counts, err = s.svc.CountDeliveries(ctx)
	}
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	for _, h := range hooks {
		data.Hooks = append(data.Hooks, webhookRow{h, strings.Join(h.Events, ", "), h.CreatedAt.In(shanghai).Format(formTimeShown)})
	}
	for _, d := range ds {
		data.Deliveries = append(data.Deliveries, deliveryRow{d, "tell.delivery." + string(d.Status)})
	}
	data.Pending, data.Delivered, data.Failed = counts[tuango.DeliveryPending], counts[tuango.DeliveryDelivered], counts[tuango.DeliveryFailed]
	if data.Form.Errors == nil {
		data.Form.Errors = map[string]string{}
	}
	pg.Data = data
	s.render(w, r, status, "admin/webhooks", pg)
}

func (s *Server) handleAdminWebhooksPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "tell.webhooks.title", isStaff)
	if !ok {
		return
	}
	s.renderAdminWebhooks(w, r, pg, http.StatusOK, &adminWebhooksData{Deleted: r.URL.Query().Get("deleted") == "1", Created: r.URL.Query().Get("created")})
}

// webhookFormField is the form field of a webhook request's field.
var webhookFormField = map[string]string{"url": "url", "secret": "secret", "events": "events"}

func (s *Server) handleAdminWebhookForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "tell.webhooks.title", "/admin/webhooks", isStaff)
	if !ok {
		return
	}
	f := webhookForm{URL: strings.TrimSpace(r.PostFormValue("url")), Events: r.PostFormValue("events"), Errors: map[string]string{}}
	events := strings.FieldsFunc(f.Events, func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	hook, err := s.actCreateWebhook(r.Context(), actor(pg.User), tuango.CreateWebhookRequest{URL: f.URL, Secret: r.PostFormValue("secret"), Events: events})
	if err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			if field, ok := webhookFormField[fieldOf(err)]; ok {
				f.Errors[field] = pg.T("tell.webhooks.rule." + field)
			} else {
				f.Errors["form"] = msg
			}
			s.renderAdminWebhooks(w, r, pg, status, &adminWebhooksData{Form: f})
		})
		return
	}
	http.Redirect(w, r, "/admin/webhooks?created="+url.QueryEscape(hook.URL), http.StatusSeeOther)
}

func (s *Server) handleAdminWebhookDeleteForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "tell.webhooks.title", "/admin/webhooks", isStaff)
	if !ok {
		return
	}
	if err := s.actDeleteWebhook(r.Context(), actor(pg.User), r.PathValue("id")); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	http.Redirect(w, r, "/admin/webhooks?deleted=1", http.StatusSeeOther)
}
