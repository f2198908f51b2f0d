package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"tuango/internal/tuango"
)

// keyedBody reads the body of a state change and its Idempotency-Key.
func keyedBody(w http.ResponseWriter, r *http.Request, a tuango.Actor) ([]byte, *tuango.Idempotency, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, nil, err
	}
	idem, err := idempotencyOf(r, a, body)
	return body, idem, err
}

// idempotencyOf reads the Idempotency-Key header of a state change and
// fingerprints the request (method, path and body), so that the key sent
// again with another request is refused.
func idempotencyOf(r *http.Request, a tuango.Actor, body []byte) (*tuango.Idempotency, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return nil, &tuango.Error{Code: tuango.CodeIdemKeyMissing, Message: "send an Idempotency-Key header (a unique string per intended action, such as a UUID) so that a retry cannot act twice"}
	}
	if len(key) > 255 {
		return nil, &tuango.Error{Code: tuango.CodeInvalid, Field: "Idempotency-Key", Message: "must be at most 255 characters"}
	}
	for _, c := range key {
		if c < 0x21 || c > 0x7e {
			return nil, &tuango.Error{Code: tuango.CodeInvalid, Field: "Idempotency-Key", Message: "must be printable ASCII without spaces"}
		}
	}
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.Path + "\n"))
	h.Write(body)
	return &tuango.Idempotency{Scope: a.UserID, Key: key, Fingerprint: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeOnce encodes the answer of an exactly-once call. The first answer
// and every replay are encoded from the same stored result, so a retry
// gets the same bytes; a replay says so in Idempotent-Replayed.
func writeOnce[T, V any](w http.ResponseWriter, status int, ans tuango.Once[T], view func(T) V) {
	if ans.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, status, view(ans.Value))
}
