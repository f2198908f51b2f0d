package tuango

import "time"

// IdempotencyTTL is how long idempotency records are kept at least.
const IdempotencyTTL = 7 * 24 * time.Hour

// Idempotency makes a state change exactly-once. The caller's response is
// rendered inside the transaction of the effect and stored with the key, so
// that a retry gets the same bytes.
type Idempotency struct {
	Scope       string // who owns the key: a user id
	Key         string
	Fingerprint string // hash of method, path and body
	// Render turns the result of the effect into the response to store.
	Render func(result any) (status int, body []byte, err error)
}

// IdempotencyRecord is a stored response to a request with a key.
type IdempotencyRecord struct {
	Scope       string
	Key         string
	Fingerprint string
	Status      int
	Body        []byte
	CreatedAt   time.Time
}

// IdemKey names one idempotency record: the key within its scope (the
// user who sent it).
type IdemKey struct{ Scope, Key string }

// Replay is returned (as an error) when a request's key was already used:
// the caller sends Record's response unchanged.
type Replay struct{ Record *IdempotencyRecord }

func (r *Replay) Error() string { return "idempotent replay" }
