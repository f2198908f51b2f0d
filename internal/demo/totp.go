package demo

import (
	"context"
	"time"

	"tuango/internal/auth"
	"tuango/internal/tuango"
)

// OperatorTOTPSecret is the demo operator's TOTP secret (base32). Like the
// demo password it is published, so that anyone trying the demo, and the
// load and fault tools, can sign in as the operator: add it to an
// authenticator app, or let OperatorTOTP compute the code.
const OperatorTOTPSecret = "TUANGODEMOOPERATORTOTPSECRET2345"

// OperatorTOTP returns the demo operator's authenticator code at at.
func OperatorTOTP(at time.Time) string {
	code, err := auth.TOTP{}.Code(OperatorTOTPSecret, at)
	if err != nil {
		panic(err) // the secret is a valid constant
	}
	return code
}

// EnsureOperatorTOTP gives the demo operator of data seeded before the
// second factor existed the published secret, so the demo stays usable.
func EnsureOperatorTOTP(ctx context.Context, store tuango.Store) error {
	u, err := store.FindUserByPhone(ctx, OperatorPhone)
	if tuango.IsNotFound(err) {
		return nil
	}
	if err != nil || u.TOTPSecret != "" || u.Role != tuango.RoleOperator {
		return err
	}
	u.TOTPSecret = OperatorTOTPSecret
	return store.UpdateUser(ctx, u)
}
