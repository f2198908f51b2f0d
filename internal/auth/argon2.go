// Package auth hashes passwords with argon2id.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost settings.
type Params struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultParams cost about 0.2 s and 64 MiB per hash on the reference
// machine (see FIELD-NOTES); tests pass cheaper ones through configuration.
var DefaultParams = Params{Time: 3, Memory: 64 * 1024, Threads: 2}

// Hasher hashes and verifies passwords, running at most a few hashes at
// once so that a burst of logins cannot exhaust memory and CPU.
type Hasher struct {
	p     Params
	slots chan struct{}
	dummy string
}

// NewHasher returns a Hasher that runs at most concurrent hashes at once.
func NewHasher(p Params, concurrent int) *Hasher {
	if concurrent < 1 {
		concurrent = 1
	}
	h := &Hasher{p: p, slots: make(chan struct{}, concurrent)}
	h.dummy, _ = h.Hash("not a password anyone has")
	return h
}

// Dummy returns a valid hash that matches no real password, for spending
// the time of a check when there is no account.
func (h *Hasher) Dummy() string { return h.dummy }

// Hash returns an encoded argon2id hash of password with a random salt, in
// the PHC string format.
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := h.key(password, salt, h.p)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.p.Memory, h.p.Time, h.p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether password matches an encoded hash, using the
// parameters recorded in the hash.
func (h *Hasher) Verify(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("auth: not an argon2id hash")
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("auth: bad argon2id parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("auth: bad salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("auth: bad key: %w", err)
	}
	got := h.key(password, salt, p)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func (h *Hasher) key(password string, salt []byte, p Params) []byte {
	h.slots <- struct{}{}
	defer func() { <-h.slots }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
}
