package web

import (
	"net/http"

	"tuango/internal/payment"
	"tuango/internal/sms"
	"tuango/internal/tuango"
)

func (s *Server) handleCreatePayment(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	_, idem, err := keyedBody(w, r, a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ans, err := s.svc.CreatePayment(r.Context(), a, r.PathValue("id"), idem)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeOnce(w, http.StatusCreated, ans, viewPayment)
}

func (s *Server) handlePayment(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	p, err := s.svc.GetPayment(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewPayment(p))
}

// handleSandboxNotify receives the sandbox provider's notifications. Like
// WeChat Pay, the provider wants a 2xx to stop retrying.
func (s *Server) handleSandboxNotify(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n := tuango.Notification{
		Timestamp: r.Header.Get("Wechatpay-Timestamp"),
		Nonce:     r.Header.Get("Wechatpay-Nonce"),
		Signature: r.Header.Get("Wechatpay-Signature"),
		Serial:    r.Header.Get("Wechatpay-Serial"),
		Body:      body,
	}
	if err := s.svc.HandleNotification(r.Context(), n); err != nil {
		if tuango.ErrorCode(err) != tuango.CodeInternal {
			s.log.WarnContext(r.Context(), "payment notification refused", "err", err)
		}
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleSandboxConfirm(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := s.sandbox.Confirm(r.Context(), r.PathValue("id"), a.UserID); err != nil {
		s.writeError(w, r, err)
		return
	}
	sp, err := s.sandbox.Payment(r.Context(), r.PathValue("id"), a.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": sp.PaymentID, "status": sp.Status, "transaction_id": sp.TxnID, "amount_fen": sp.AmountFen})
}

type faultsView struct {
	Drop         float64 `json:"drop"`
	Duplicate    float64 `json:"duplicate"`
	DelayMS      int64   `json:"delay_ms"`
	BadSignature float64 `json:"bad_signature"`
	FailCreate   float64 `json:"fail_create"`
	// The sandbox SMS sender's faults (when the node has one).
	SMSFail    float64 `json:"sms_fail"`
	SMSLoseAck float64 `json:"sms_lose_ack"`
	// CreateDelayMS makes creating a payment hang this long (a provider
	// that does not answer, for the circuit breaker).
	CreateDelayMS int64 `json:"create_delay_ms"`
}

func (s *Server) handleGetFaults(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil { // the sandbox is not in the domain: it is authorised here
		s.writeError(w, r, err)
		return
	}
	f := s.sandbox.Faults()
	v := faultsView{Drop: f.Drop, Duplicate: f.Duplicate, DelayMS: f.Delay.Milliseconds(), BadSignature: f.BadSignature, FailCreate: f.FailCreate, CreateDelayMS: f.CreateDelay.Milliseconds()}
	if s.cfg.SMS != nil {
		sf := s.cfg.SMS.Faults()
		v.SMSFail, v.SMSLoseAck = sf.FailRate, sf.LoseAckRate
	}
	writeJSON(w, http.StatusOK, v)
}

// handleSetFaults switches the sandbox's faults, for fault tests.
func (s *Server) handleSetFaults(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil { // the sandbox is not in the domain: it is authorised here
		s.writeError(w, r, err)
		return
	}
	var in faultsView
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	for name, p := range map[string]float64{"drop": in.Drop, "duplicate": in.Duplicate, "bad_signature": in.BadSignature, "fail_create": in.FailCreate,
		"sms_fail": in.SMSFail, "sms_lose_ack": in.SMSLoseAck} {
		if p < 0 || p > 1 {
			s.writeError(w, r, tuango.FieldError(name, "must be a probability between 0 and 1"))
			return
		}
	}
	if in.DelayMS < 0 || in.DelayMS > 600_000 {
		s.writeError(w, r, tuango.FieldError("delay_ms", "must be between 0 and 600000"))
		return
	}
	if in.CreateDelayMS < 0 || in.CreateDelayMS > 600_000 {
		s.writeError(w, r, tuango.FieldError("create_delay_ms", "must be between 0 and 600000"))
		return
	}
	s.sandbox.SetFaults(payment.Faults{Drop: in.Drop, Duplicate: in.Duplicate, Delay: msDuration(in.DelayMS), BadSignature: in.BadSignature, FailCreate: in.FailCreate,
		CreateDelay: msDuration(in.CreateDelayMS)})
	if s.cfg.SMS != nil {
		s.cfg.SMS.SetFaults(sms.Faults{FailRate: in.SMSFail, LoseAckRate: in.SMSLoseAck})
	}
	writeJSON(w, http.StatusOK, in)
}
