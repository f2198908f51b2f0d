package web

import (
	"net/http"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"tuango/internal/tuango"
)

// Notifications are stored as a kind and its parameters and worded here,
// when read, in the reader's language: the page's on pages, the
// Accept-Language header's on the API, and tuango.SMSLang for the sender.

// notificationText words m with p. A message stored before parameters
// were keeps the text it was stored with.
func notificationText(p *message.Printer, m *tuango.Message) string {
	if m.Text != "" {
		return m.Text
	}
	a := m.Params
	key := "notify." + string(m.Kind)
	switch m.Kind {
	case tuango.NotifyConfirmed:
		return p.Sprintf(key, m.OrderID, a.Date)
	case tuango.NotifyArrived:
		return p.Sprintf(key, m.OrderID, a.Point)
	case tuango.NotifyShort:
		return p.Sprintf(key, m.OrderID, a.Point, money(a.RefundFen))
	case tuango.NotifyReminder:
		until := a.Until
		if t, err := time.Parse(time.RFC3339, a.Until); err == nil {
			until = t.In(shanghai).Format("2006-01-02 15:04")
		}
		return p.Sprintf(key, m.OrderID, until)
	case tuango.NotifyDispatched:
		return p.Sprintf(key, a.Date, a.Route, a.Point)
	case tuango.NotifyMoved:
		return p.Sprintf(key, a.Point, m.OrderID, a.ToPoint, a.ToAddress)
	case tuango.NotifyAfterSalesApproved:
		return p.Sprintf(key, m.OrderID, a.Line, money(a.RefundFen))
	case tuango.NotifyAfterSalesRejected:
		return p.Sprintf(key, m.OrderID, a.Line, a.Reason)
	case tuango.NotifyClosed:
		if a.RefundFen == 0 { // it was not paid
			return p.Sprintf(key+".unpaid", a.Point, a.Date, m.OrderID)
		}
		return p.Sprintf(key, a.Point, a.Date, m.OrderID, money(a.RefundFen))
	case tuango.NotifyCancelRefunded:
		return p.Sprintf(key, m.OrderID, money(a.RefundFen))
	case tuango.NotifyIncident:
		status := a.Status
		if status != "" {
			status = p.Sprintf("tell.status." + status)
		}
		if t, err := time.Parse(time.RFC3339, a.ETA); err == nil {
			return p.Sprintf(key, status, a.Incident, a.Body, t.In(shanghai).Format("2006-01-02 15:04"))
		}
		return p.Sprintf(key+".noeta", status, a.Incident, a.Body)
	case tuango.NotifyWithdrawalPaid:
		return p.Sprintf(key, money(a.AmountFen))
	case tuango.NotifySettlementPaid:
		return p.Sprintf(key, a.Date, money(a.AmountFen))
	case tuango.NotifySettlementFailed:
		if a.Reason == "" {
			return p.Sprintf(key+".noreason", a.Date, money(a.AmountFen))
		}
		return p.Sprintf(key, a.Date, money(a.AmountFen), a.Reason)
	case tuango.NotifyWithdrawalFailed, tuango.NotifyWithdrawalRejected:
		if a.Reason == "" {
			return p.Sprintf(key+".noreason", money(a.AmountFen))
		}
		return p.Sprintf(key, money(a.AmountFen), a.Reason)
	}
	return p.Sprintf(notificationKey(m.Kind))
}

// NotificationText words a message in a language, "zh" or "en" (anything
// else is Chinese): what the service's sender sends (tuango.SetTexts).
func NotificationText(lang string, m *tuango.Message) string {
	tag := langZH
	if lang == "en" {
		tag = langEN
	}
	return notificationText(newPrinter(tag), m)
}

// apiLang is the language an API caller asked for with Accept-Language:
// English or Chinese, Chinese when it names neither.
func apiLang(r *http.Request) language.Tag {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return langZH
	}
	_, i, conf := apiLangs.Match(tags...)
	if conf == language.No {
		return langZH
	}
	return []language.Tag{langZH, langEN}[i]
}

var apiLangs = language.NewMatcher([]language.Tag{langZH, langEN})
