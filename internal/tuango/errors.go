// Package tuango holds the business of community group buying: the domain
// types, the rules that must always hold, the store and provider interfaces,
// and the use cases as methods on Service. It imports only the standard
// library.
package tuango

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. They are stable: clients match on them.
const (
	CodeInvalid               = "validation_failed"
	CodeUnauthorized          = "unauthorized"
	CodeInvalidCredentials    = "invalid_credentials"
	CodeForbidden             = "forbidden"
	CodeNotFound              = "not_found"
	CodeConflict              = "conflict"
	CodeUnavailable           = "unavailable"
	CodeInternal              = "internal"
	CodePhoneTaken            = "phone_taken"
	CodeSoldOut               = "sold_out"
	CodeLimitExceeded         = "limit_exceeded"
	CodeDealNotLive           = "deal_not_live"
	CodeOrderNotCancellable   = "order_not_cancellable"
	CodeOrderNotPayable       = "order_not_payable"
	CodeIdemKeyMissing        = "idempotency_key_missing"
	CodeIdemKeyReused         = "idempotency_key_reused"
	CodeIdemKeyInFlight       = "idempotency_key_in_flight"
	CodeBadSignature          = "bad_signature"
	CodeStaleNotification     = "stale_notification"
	CodeAmountMismatch        = "amount_mismatch"
	CodePaymentNotConfirmable = "payment_not_confirmable"
	CodeAlreadySigned         = "already_signed"
	CodePickupCodeInvalid     = "pickup_code_invalid"
	CodeAlreadyPickedUp       = "already_picked_up"
	CodeTooManyAttempts       = "too_many_attempts"
	CodeNotSignedYet          = "not_signed_yet"
	CodePickupPointClosed     = "pickup_point_closed"
	CodeCityClosed            = "city_closed"
	CodeCutoffPassed          = "cutoff_passed"     // a deal put on sale for a delivery date its city has already cut off
	CodePickupPointOpen       = "pickup_point_open" // its orders are cancelled only once it is closed
	CodeCouponNotApplicable   = "coupon_not_applicable"
	CodeTooManyUnpaidOrders   = "too_many_unpaid_orders"
)

// Error is the one error type of tuango: a stable code, a message written
// for the person who caused it, and the input field at fault, if any.
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter, when set, is how long the caller should wait before
	// trying again (sent as Retry-After).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a validation error naming the field at fault.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal for any other error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return CodeInternal
}

// ErrNotFound is returned by stores for a missing row; it carries the
// not_found code so that it reaches the client as 404.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}

// IsNotFound reports whether err is, or wraps, a not_found error.
func IsNotFound(err error) bool { return ErrorCode(err) == CodeNotFound }

// ErrOutcomeUnknown is returned by stores when the connection died while a
// COMMIT was on its way: the transaction may or may not have happened. It
// is unavailable (503 with Retry-After), never a success and never a
// definite refusal; a retry with the same idempotency key settles it.
var ErrOutcomeUnknown = &Error{Code: CodeUnavailable, RetryAfter: 2 * time.Second,
	Message: "the database went away while saving this; whether it was saved is not known yet: retry with the same Idempotency-Key to find out"}

// IsOutcomeUnknown reports whether err is, or wraps, ErrOutcomeUnknown.
func IsOutcomeUnknown(err error) bool { return errors.Is(err, ErrOutcomeUnknown) }
