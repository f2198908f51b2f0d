package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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

// keptAnswer is the stored answer of an operator's keyed change: the
// response as the handler wrote it, so that a replay is the same bytes.
// Location is kept for a page's form, whose answer is a redirect: its
// replay sends the operator where the first submit did.
type keptAnswer struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Location    string `json:"location,omitempty"`
	Body        []byte `json:"body"`
}

// keptRecorder holds a handler's response until its transaction commits.
type keptRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	err    error // what the handler answered with, if it failed
}

func (k *keptRecorder) Header() http.Header { return k.header }

func (k *keptRecorder) WriteHeader(status int) {
	if k.status == 0 {
		k.status = status
	}
}

func (k *keptRecorder) Write(p []byte) (int, error) {
	k.WriteHeader(http.StatusOK)
	return k.body.Write(p)
}

// refused is the answer of a keyed change that failed: it is sent, and
// not kept, and its transaction rolls back. It unwraps to the handler's
// error, so that a transaction the database asks to retry is retried.
type refused struct {
	ans    keptAnswer
	header http.Header
	cause  error
}

func (e *refused) Error() string { return fmt.Sprintf("refused with %d", e.ans.Status) }
func (e *refused) Unwrap() error { return e.cause }

// onceIfKeyed makes a state change that may carry an Idempotency-Key
// exactly once per key when it does, and leaves it as it is when it does
// not: an operator's POST (DESIGN: state-changing POSTs accept a key). The
// handler runs in one transaction with the storing of its answer, which
// is sent only after the commit; a retry with the key gets the same
// status and bytes with Idempotent-Replayed: true and changes nothing, and
// the key with another body is refused with idempotency_key_reused.
func (s *Server) onceIfKeyed(next authedHandler) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
		if r.Header.Get("Idempotency-Key") == "" {
			next(w, r, a)
			return
		}
		body, idem, err := keyedBody(w, r, a)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		err = s.keep(w, r, idem, http.StatusMultipleChoices, func(w http.ResponseWriter, in *http.Request) {
			in.Body = &preread{data: body}
			next(w, in, a)
		})
		if err != nil {
			s.writeError(w, r, err)
		}
	}
}

// keep serves r with serve exactly once per idem, in one transaction with
// the storing of its answer, and writes that answer once it commits, or
// the stored one to a retry. An answer of status refusedFrom or above is
// a refusal: written, not kept, its transaction rolled back. An error
// (the key in flight, or used for another request) is returned with
// nothing written, for the caller to answer in its own form.
func (s *Server) keep(w http.ResponseWriter, r *http.Request, idem *tuango.Idempotency, refusedFrom int, serve http.HandlerFunc) error {
	ans, err := tuango.OnceIfKeyed(r.Context(), s.svc, idem, func(ctx context.Context) (keptAnswer, error) {
		rec := &keptRecorder{header: http.Header{}}
		serve(rec, r.WithContext(withKeptRecorder(ctx, rec)))
		kept := keptAnswer{Status: rec.status, ContentType: rec.header.Get("Content-Type"), Location: rec.header.Get("Location"), Body: rec.body.Bytes()}
		if kept.Status == 0 {
			kept.Status = http.StatusOK
		}
		if kept.Status >= refusedFrom {
			return kept, &refused{ans: kept, header: rec.header, cause: rec.err}
		}
		return kept, nil
	})
	h := w.Header()
	var no *refused
	switch {
	case errors.As(err, &no):
		for k, v := range no.header {
			h[k] = v
		}
		ans.Value = no.ans
	case err != nil:
		return err
	default:
		if ans.Replayed {
			h.Set("Idempotent-Replayed", "true")
		}
		if ans.Value.ContentType != "" {
			h.Set("Content-Type", ans.Value.ContentType)
		}
		if ans.Value.Location != "" {
			h.Set("Location", ans.Value.Location)
		}
		h["Cache-Control"] = headerNoStore
	}
	w.WriteHeader(ans.Value.Status)
	w.Write(ans.Value.Body)
	return nil
}

type keptRecorderKey struct{}

func withKeptRecorder(ctx context.Context, rec *keptRecorder) context.Context {
	return context.WithValue(ctx, keptRecorderKey{}, rec)
}

// noteRefusal tells the keyed change being served, if any, the error its
// handler answered with (see refused).
func noteRefusal(r *http.Request, err error) {
	if rec, ok := r.Context().Value(keptRecorderKey{}).(*keptRecorder); ok {
		rec.err = err
	}
}
