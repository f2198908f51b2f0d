package sqlstore

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestMigrationKeysOrdersByCustomerAndKey: migration 0025 makes an order's
// key unique per customer. A key a customer sent again after its record
// was purged placed a second order under it; the migration keeps the key
// on the latest of them and gives the earlier one its id appended, and
// then refuses a second order under a key.
func TestMigrationKeysOrdersByCustomerAndKey(t *testing.T) {
	dir := t.TempDir()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "tuango.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ms, err := migrations(sqliteEngine{})
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
	for _, m := range ms {
		if m.version >= 25 {
			break
		}
		exec(m.sql)
		exec(`INSERT INTO schema_migrations VALUES (?, ?, 'then')`, m.version, m.name)
	}
	// Orders as builds before 0025 wrote them (foreign keys are off on this
	// raw connection, so no users or points are needed).
	order := func(id, user, key string) {
		exec(`INSERT INTO orders (id, user_id, pickup_point_id, city_id, status, total_fen, idempotency_key, created_at, expires_at)
			VALUES (?, ?, 'pp_1', 'c_1', 'paid', 100, ?, 1, 2)`, id, user, key)
	}
	order("ord_1", "usr_a", "k1")
	order("ord_2", "usr_a", "k1") // the same key again, later
	order("ord_3", "usr_a", "k1") // and once more
	order("ord_4", "usr_b", "k1") // another customer's key of the same text
	order("ord_5", "usr_a", "k2")
	raw.Close()

	db, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open() migrating to 0025 = %v", err)
	}
	want := map[string]string{"ord_1": "k1#ord_1", "ord_2": "k1#ord_2", "ord_3": "k1", "ord_4": "k1", "ord_5": "k2"}
	for id, key := range want {
		o, err := db.Store().FindOrderByID(t.Context(), id)
		if err != nil {
			t.Fatalf("FindOrderByID(%s) = %v", id, err)
		}
		if o.IdempotencyKey != key {
			t.Errorf("%s's key after 0025 = %q, want %q", id, o.IdempotencyKey, key)
		}
	}
	rec, err := db.Store().FindIdempotency(t.Context(), "usr_a", "k1")
	if err != nil || rec.OrderID != "ord_3" || rec.Fingerprint != "" {
		t.Errorf("FindIdempotency(usr_a, k1) = %+v, %v; want the latest order, ord_3, with no fingerprint", rec, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if raw, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "tuango.db")); err != nil {
		t.Fatal(err)
	}
	order("ord_6", "usr_b", "k2") // a key of its own: accepted
	_, err = raw.Exec(`INSERT INTO orders (id, user_id, pickup_point_id, city_id, status, total_fen, idempotency_key, created_at, expires_at)
		VALUES ('ord_7', 'usr_b', 'pp_1', 'c_1', 'paid', 100, 'k1', 1, 2)`)
	if err == nil {
		t.Errorf("a second order of usr_b under k1 after 0025 was inserted, want a unique violation")
	}
}
