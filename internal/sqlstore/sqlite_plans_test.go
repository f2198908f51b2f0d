package sqlstore

import (
	"context"
	"strings"
	"testing"
)

// The count of a batch's customers' unpaid orders, run for every batch
// while the cap on unpaid orders is on, searches orders_user_unpaid by
// customer rather than every unpaid order (orders_status_expiry) or every
// order of each customer (orders_user_key).
func TestSQLiteUnpaidCountSearchesItsIndex(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.read.QueryContext(ctx, `EXPLAIN QUERY PLAN `+sqliteCountUnpaid("?, ?, ?"), "u1", "u2", "u3", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan, "\n"); !strings.Contains(got, "INDEX orders_user_unpaid (user_id=? AND expires_at>?)") {
		t.Errorf("the plan does not search orders_user_unpaid by customer and deadline:\n%s", got)
	}
}
