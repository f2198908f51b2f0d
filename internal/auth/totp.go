package auth

import (
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP is the TOTP second factor of RFC 6238 as authenticator apps use it
// (SHA-1, 6 digits, 30-second steps), by github.com/pquerna/otp.
type TOTP struct {
	// Issuer names the service in the authenticator app.
	Issuer string
}

var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// NewSecret returns a new random secret (base32) for account and the
// otpauth:// URL an authenticator app reads from a QR code.
func (t TOTP) NewSecret(account string) (secret, url string, err error) {
	issuer := t.Issuer
	if issuer == "" {
		issuer = "tuango"
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account})
	if err != nil {
		return "", "", err
	}
	return k.Secret(), k.URL(), nil
}

// Code returns the code of secret for the 30-second step holding at.
func (TOTP) Code(secret string, at time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, at, totpOpts)
}

// Step is the length of a TOTP time step.
func (TOTP) Step() time.Duration { return 30 * time.Second }
