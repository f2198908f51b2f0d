package tuango

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
	"unicode/utf8"
)

// Fen is an amount of money in fen (1 yuan = 100 fen). Money is never a float.
type Fen int64

// MaxFen bounds every amount tuango accepts: 100 million yuan.
const MaxFen Fen = 100_000_000_00

// Clock tells the time. Business rules take it from their caller so that
// tests can move it.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time in UTC, truncated to microseconds as stored.
func (SystemClock) Now() time.Time { return Truncate(time.Now()) }

// Truncate returns t in UTC truncated to microseconds, the precision stored.
func Truncate(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// IDGen makes a new opaque id with the given prefix, such as "ord".
type IDGen func(prefix string) string

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// RandomID makes an id of a prefix and 80 random bits, in no order.
// Production uses SortableIDs; fixtures that need ids without a clock use
// this.
func RandomID(prefix string) string {
	var b [10]byte
	rand.Read(b[:])
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// idEpoch is the zero of the time part of sortable ids.
var idEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// SortableIDs returns the IDGen used in production: a prefix, then 40
// bits of milliseconds since 2020 from clock, then 56 random bits. Ids
// made later sort later, so new rows land at the end of each id index
// instead of on a random page of it; 56 random bits per millisecond keep
// them unguessable.
func SortableIDs(clock Clock) IDGen {
	return func(prefix string) string {
		var b [12]byte
		ms := uint64(clock.Now().Sub(idEpoch).Milliseconds())
		b[0], b[1], b[2], b[3], b[4] = byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
		rand.Read(b[5:])
		return prefix + "_" + idEncoding.EncodeToString(b[:])
	}
}

// checkText validates a user-supplied text field: trimmed, non-empty when
// required, at most max runes, valid UTF-8, no control characters.
func checkText(field, v string, required bool, max int) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			return "", FieldError(field, "is required")
		}
		return "", nil
	}
	if !utf8.ValidString(v) {
		return "", FieldError(field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return "", FieldError(field, "is %d characters long; at most %d are allowed", n, max)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return "", FieldError(field, "contains a control character")
		}
	}
	return v, nil
}

// checkFen validates an amount of money in fen.
func checkFen(field string, v Fen, allowZero bool) error {
	switch {
	case v < 0:
		return FieldError(field, "must not be negative")
	case v == 0 && !allowZero:
		return FieldError(field, "must be greater than zero")
	case v > MaxFen:
		return FieldError(field, "is too large (at most %d fen)", MaxFen)
	}
	return nil
}

// checkID validates that an id field is present and plausible.
func checkID(field, v string) error {
	if v == "" {
		return FieldError(field, "is required")
	}
	if len(v) > 64 {
		return FieldError(field, "is not a valid id")
	}
	for _, r := range v {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return FieldError(field, "is not a valid id")
		}
	}
	return nil
}
