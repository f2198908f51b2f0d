package sqlstore

import (
	"testing"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// A deadlock inside a savepoint reruns the whole transaction, because
// rolling back to the savepoint keeps the locks taken before it. Group
// commit on two PostgreSQL nodes meets this: one batch holds a customer's
// limit row and waits for a deal row that the other batch holds while it
// waits for that limit row.
func TestDeadlockInSavepointRerunsTheTransaction(t *testing.T) {
	db, err := Open(t.Context(), storetest.PostgresDSN(t))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer db.Close()
	var runs int
	var first, later []error
	err = db.Store().InTx(t.Context(), func(tx tuango.Store) error {
		runs++
		err := tx.Savepoint(t.Context(), func(tx tuango.Store) error {
			if runs > 1 {
				return nil
			}
			_, err := tx.(*Store).exec(t.Context(), `DO $$BEGIN RAISE EXCEPTION 'test' USING ERRCODE = 'deadlock_detected'; END$$`)
			return err
		})
		first = append(first, err)
		later = append(later, tx.Savepoint(t.Context(), func(tuango.Store) error { return nil }))
		return nil // as the batcher does: each order's error is its own
	})
	if err != nil || runs != 2 {
		t.Fatalf("InTx = %v after %d runs, want success on the second run", err, runs)
	}
	if !db.engine.retryable(first[0]) || !db.engine.retryable(later[0]) {
		t.Errorf("first run: savepoint = %v, next savepoint = %v; want the deadlock from both", first[0], later[0])
	}
	if first[1] != nil || later[1] != nil {
		t.Errorf("second run: savepoints = %v, %v; want both to succeed", first[1], later[1])
	}
}
