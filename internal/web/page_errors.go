package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// Errors on pages: a page in the user's language for every error, and the
// degraded page when the database does not answer.

type errorPage struct {
	Heading, Message string
	Status           int
	RequestID        string
}

// pageError writes err as a page in the user's language, never JSON. An
// error that comes from the database not answering is the degraded page.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, pg *page, err error) {
	if pg == nil {
		pg = s.newPage(w, r, "Error")
	}
	if s.degraded(r, err) {
		s.degradedPage(w, r, pg)
		return
	}
	s.errorPage(w, r, pg, err)
}

// errorPage writes the page of an error that is not an outage.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, pg *page, err error) {
	code := tuango.ErrorCode(err)
	status := pageStatus(code)
	heading, msg := errorText(code)
	var te *tuango.Error
	if errors.As(err, &te) && te.RetryAfter > 0 { // too many wrong pickup codes: say when to try again
		w.Header().Set("Retry-After", strconv.Itoa(int((te.RetryAfter+time.Second-1)/time.Second)))
	}
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	}
	pg.Title = pg.T(heading)
	pg.Data = errorPage{Heading: pg.T(heading), Message: pg.T(msg), Status: status, RequestID: requestID(r.Context())}
	s.render(w, r, status, "error", pg)
}

// refusalPage writes a 400 page whose message, msg in the reader's
// language, says what is wrong with the request where the generic "check
// your input" would not.
func (s *Server) refusalPage(w http.ResponseWriter, r *http.Request, pg *page, msg string) {
	pg.Title = pg.T("Please check your input")
	pg.Data = errorPage{Heading: pg.Title, Message: msg, Status: http.StatusBadRequest, RequestID: requestID(r.Context())}
	s.render(w, r, http.StatusBadRequest, "error", pg)
}

// degraded reports whether err means the database did not answer in time
// or at all, rather than a refusal or a bug: a deadline, code
// unavailable, or an internal error while the database fails a quick ping.
func (s *Server) degraded(r *http.Request, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || tuango.ErrorCode(err) == tuango.CodeUnavailable {
		return true
	}
	if tuango.ErrorCode(err) != tuango.CodeInternal {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 300*time.Millisecond)
	defer cancel()
	return s.svc.Store().Ping(ctx) != nil
}

// degradedPage says that the service is degraded, with 503 and
// Retry-After, in the user's language.
func (s *Server) degradedPage(w http.ResponseWriter, r *http.Request, pg *page) {
	s.log.WarnContext(r.Context(), "page degraded: the database did not answer", "path", r.URL.Path)
	w.Header().Set("Retry-After", "30")
	pg.Degraded = true
	pg.Title = pg.T("Service degraded")
	pg.Data = errorPage{Heading: pg.T("Service degraded"), Message: pg.T("degraded.body"), Status: http.StatusServiceUnavailable, RequestID: requestID(r.Context())}
	s.render(w, r, http.StatusServiceUnavailable, "error", pg)
}

// errorTexts are the heading and message id shown for each error code.
var errorTexts = map[string][2]string{
	tuango.CodeNotFound:            {"Not found", "error.not_found"},
	tuango.CodeForbidden:           {"Not allowed", "error.forbidden"},
	tuango.CodeUnauthorized:        {"Please log in", "error.unauthorized"},
	tuango.CodeInvalidCredentials:  {"Please log in", "error.unauthorized"},
	codeMethodNotAllowed:           {"Not allowed", "error.method"},
	codeBodyTooLarge:               {"Request too large", "error.too_large"},
	tuango.CodeSoldOut:             {"Sold out", "error.sold_out"},
	tuango.CodeLimitExceeded:       {"Over the limit", "error.limit_exceeded"},
	tuango.CodeDealNotLive:         {"Not on sale", "error.deal_not_live"},
	tuango.CodeOrderNotCancellable: {"Cannot cancel", "error.not_cancellable"},
	tuango.CodeOrderNotPayable:     {"Cannot pay", "error.not_payable"},
	tuango.CodeIdemKeyInFlight:     {"Still working", "error.in_flight"},
	tuango.CodeIdemKeyReused:       {"Form already sent", "error.key_reused"},
	tuango.CodeInvalid:             {"Please check your input", "error.invalid"},
	codeCSRF:                       {"Form out of date", "error.csrf"},
	codeCrossOrigin:                {"Sent from another site", "error.cross_origin"},
	// The day after the order.
	tuango.CodeAlreadySigned:     {"Already signed", "error.already_signed"},
	tuango.CodePickupCodeInvalid: {"Wrong pickup code", "error.pickup_code_invalid"},
	tuango.CodeAlreadyPickedUp:   {"Already picked up", "error.already_picked_up"},
	tuango.CodeNotSignedYet:      {"Not signed for yet", "error.not_signed_yet"},
	tuango.CodeTooManyAttempts:   {"Please wait", "error.too_many_attempts"},
	tuango.CodePickupPointClosed: {"Pickup point closed", "error.pickup_point_closed"},
	tuango.CodeCityClosed:        {"Closed that day", "error.city_closed"},
	tuango.CodeCutoffPassed:      {"Already cut off", "error.cutoff_passed"},
	tuango.CodeConflict:          {"Cannot do that now", "error.conflict"},
	tuango.CodePickupPointOpen:   {"Pickup point open", "error.pickup_point_open"},

	// Coupons.
	tuango.CodeCouponNotApplicable: {"Coupon not applicable", "error.coupon_not_applicable"},

	// After-sales.
	tuango.CodeAfterSalesWindowClosed: {"After-sales closed", "error.after_sales_window_closed"},
	tuango.CodeRefundExceedsPaid:      {"More than is left", "error.refund_exceeds_paid"},
	tuango.CodeAfterSalesOpen:         {"Already requested", "error.after_sales_open"},
	tuango.CodeAfterSalesDecided:      {"Already decided", "error.after_sales_decided"},
	tuango.CodeInsufficientBalance:    {"Not enough commission", "error.insufficient_balance"},
	// Security.
	tuango.CodeTooManyUnpaidOrders: {"Too many unpaid orders", "error.too_many_unpaid_orders"},
	// Degrading.
	tuango.CodePaymentUnavailable: {"Payment unavailable", "error.payment_unavailable"},
	// Accounts.
	tuango.CodeTOTPEnrolmentRequired: {"Authenticator app", "totp.enrol_first"},
}

// errorText is the heading and message id shown for an error code.
func errorText(code string) (heading, msg string) {
	if t, ok := errorTexts[code]; ok {
		return t[0], t[1]
	}
	return "Something went wrong", "error.internal"
}

// codeCSRF is a form whose token does not match its session.
const codeCSRF = "csrf_failed"

// pageStatus is the HTTP status of an error code on a page.
func pageStatus(code string) int {
	if code == codeCSRF {
		return http.StatusForbidden
	}
	return Status(code)
}

// handleNotFound answers every URL no route matches: 405 with Allow when
// the path exists for other methods, else 404; problem+json under /api/,
// a page elsewhere.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	var err *tuango.Error
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		err = &tuango.Error{Code: codeMethodNotAllowed, Message: r.Method + " is not allowed here; use " + strings.Join(allow, " or ")}
	} else {
		err = &tuango.Error{Code: tuango.CodeNotFound, Message: "nothing is at " + r.URL.Path}
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeError(w, r, err)
		return
	}
	s.pageError(w, r, nil, err)
}
