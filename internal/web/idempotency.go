package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"tuango/internal/tuango"
)

// idempotency builds the exactly-once envelope of a state change from the
// Idempotency-Key header. The response is rendered once, inside the
// transaction, and those same bytes are sent now and on every replay.
type idempotency struct {
	idem   *tuango.Idempotency
	status int
	body   []byte
}

func newIdempotency(r *http.Request, a tuango.Actor, body []byte, status int, view func(any) any) (*idempotency, error) {
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
	ip := &idempotency{}
	ip.idem = &tuango.Idempotency{Scope: a.UserID, Key: key, Fingerprint: hex.EncodeToString(h.Sum(nil)),
		Render: func(res any) (int, []byte, error) {
			b, err := json.Marshal(view(res))
			ip.status, ip.body = status, b
			return status, b, err
		}}
	return ip, nil
}

// write sends the response of a state change: the stored one on a replay.
func (s *Server) writeIdempotent(w http.ResponseWriter, r *http.Request, ip *idempotency, err error) {
	if rec, ok := tuango.AsReplay(err); ok {
		w.Header().Set("Idempotent-Replayed", "true")
		writeRaw(w, rec.Status, rec.Body)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeRaw(w, ip.status, ip.body)
}
