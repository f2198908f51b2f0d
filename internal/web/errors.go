package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// Codes the web layer adds to the domain's.
const (
	codeBodyTooLarge     = "body_too_large"
	codeUnsupportedMedia = "unsupported_media_type"
	codeMethodNotAllowed = "method_not_allowed"
)

var statusByCode = map[string]int{
	tuango.CodeInvalid:               http.StatusBadRequest,
	tuango.CodeIdemKeyMissing:        http.StatusBadRequest,
	tuango.CodeStaleNotification:     http.StatusBadRequest,
	tuango.CodeAmountMismatch:        http.StatusBadRequest,
	tuango.CodeUnauthorized:          http.StatusUnauthorized,
	tuango.CodeInvalidCredentials:    http.StatusUnauthorized,
	tuango.CodeBadSignature:          http.StatusUnauthorized,
	tuango.CodeForbidden:             http.StatusForbidden,
	tuango.CodeNotFound:              http.StatusNotFound,
	codeMethodNotAllowed:             http.StatusMethodNotAllowed,
	tuango.CodeConflict:              http.StatusConflict,
	tuango.CodePhoneTaken:            http.StatusConflict,
	tuango.CodeSoldOut:               http.StatusConflict,
	tuango.CodeLimitExceeded:         http.StatusConflict,
	tuango.CodeDealNotLive:           http.StatusConflict,
	tuango.CodeOrderNotCancellable:   http.StatusConflict,
	tuango.CodeOrderNotPayable:       http.StatusConflict,
	tuango.CodeIdemKeyInFlight:       http.StatusConflict,
	tuango.CodePaymentNotConfirmable: http.StatusConflict,
	tuango.CodeAlreadySigned:         http.StatusConflict,
	tuango.CodeAlreadyPickedUp:       http.StatusConflict,
	tuango.CodeNotSignedYet:          http.StatusConflict,
	tuango.CodePickupPointClosed:     http.StatusConflict,
	tuango.CodeCityClosed:            http.StatusConflict,
	tuango.CodeCutoffPassed:          http.StatusConflict,
	tuango.CodePickupPointOpen:       http.StatusConflict,
	tuango.CodeCouponNotApplicable:   http.StatusConflict,
	tuango.CodeInsufficientBalance:   http.StatusConflict,
	tuango.CodePickupCodeInvalid:     http.StatusNotFound,
	tuango.CodeTooManyAttempts:       http.StatusTooManyRequests,
	tuango.CodeCodeRequired:          http.StatusUnauthorized,
	tuango.CodePasswordTooWeak:       http.StatusBadRequest,
	tuango.CodeTooManyUnpaidOrders:   http.StatusConflict,
	codeBodyTooLarge:                 http.StatusRequestEntityTooLarge,
	codeCrossOrigin:                  http.StatusForbidden,
	codeUnsupportedMedia:             http.StatusUnsupportedMediaType,
	tuango.CodeIdemKeyReused:         http.StatusUnprocessableEntity,
	tuango.CodeUnavailable:           http.StatusServiceUnavailable,
	tuango.CodePaymentUnavailable:    http.StatusServiceUnavailable,
	codeOverloaded:                   http.StatusServiceUnavailable,
	tuango.CodeInternal:              http.StatusInternalServerError,

	// After-sales.
	tuango.CodeAfterSalesWindowClosed: http.StatusConflict,
	tuango.CodeRefundExceedsPaid:      http.StatusConflict,
	tuango.CodeAfterSalesOpen:         http.StatusConflict,
	tuango.CodeAfterSalesDecided:      http.StatusConflict,

	// Accounts and sessions.
	tuango.CodeCodeInvalid:           http.StatusBadRequest,
	tuango.CodeTOTPRequired:          http.StatusUnauthorized,
	tuango.CodeTOTPInvalid:           http.StatusUnauthorized,
	tuango.CodeTOTPEnrolmentRequired: http.StatusForbidden,
}

// Status returns the HTTP status for an error code.
func Status(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// problem is an RFC 9457 problem detail with tuango's stable code.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// writeError writes err as problem+json. Internal errors are logged with
// the request id and shown only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	noteRefusal(r, err)
	var e *tuango.Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, context.DeadlineExceeded):
		// A bound on waiting for the database ran out: it may still act.
		e = &tuango.Error{Code: tuango.CodeUnavailable, Message: "this took too long and may still be done; try again in a moment (with the same Idempotency-Key, if it had one)"}
	default:
		e = &tuango.Error{Code: tuango.CodeInternal}
	}
	p := problem{Code: e.Code, Field: e.Field, Detail: e.Message, RequestID: requestID(r.Context())}
	if e.Field != "" {
		p.Detail = e.Field + ": " + e.Message
	}
	p.Status = Status(e.Code)
	if p.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		if e.Code == tuango.CodeInternal {
			p.Detail = "internal error; quote request id " + p.RequestID + " if you report it"
		}
		w.Header().Set("Retry-After", "2")
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	p.Type = "urn:tuango:problem:" + p.Code
	p.Title = strings.ReplaceAll(p.Code, "_", " ")
	h := w.Header()
	h["Content-Type"], h["Cache-Control"] = headerProblemJSON, headerNoStore // shared values, as in securityHeaders
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

var (
	headerJSON        = []string{"application/json"}
	headerProblemJSON = []string{"application/problem+json"}
	headerNoStore     = []string{"no-store"}
)

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode response", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, body)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"], h["Cache-Control"] = headerJSON, headerNoStore // shared values, as in securityHeaders
	w.WriteHeader(status)
	w.Write(body)
	w.Write([]byte("\n"))
}
