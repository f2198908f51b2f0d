package sqlstore

import (
	"context"
	"strings"
	"testing"

	"tuango/internal/storetest"
)

// genericPlan returns PostgreSQL's plan of query as a prepared statement
// planned once for every value (what a cached statement runs once the
// plan cache settles on it), with the parameter types given.
func genericPlan(t *testing.T, db *DB, types, query, args string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := db.write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{`SET plan_cache_mode = force_generic_plan`, `PREPARE q(` + types + `) AS ` + query} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	defer conn.ExecContext(ctx, `DEALLOCATE q`)
	rows, err := conn.QueryContext(ctx, `EXPLAIN EXECUTE q(`+args+`)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	return strings.Join(plan, "\n")
}

// A batch's lookups by many keys probe an index once per key, in the plan
// PostgreSQL keeps for every value, on tables as small as a fresh
// database's: a plan made then is kept while the table grows, and a scan
// in it reads every order of a flash sale for every batch.
func TestPostgresBatchLookupsProbeTheirIndexes(t *testing.T) {
	db, err := Open(context.Background(), storetest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tt := range []struct {
		name, types, query, args string
		probes                   []string
	}{
		{"the keys' records", "text[], text[]", postgresFindIdempotencies, `'{u1,u2,u3}', '{k1,k2,k3}'`,
			[]string{"using orders_user_key on orders", "using idempotency_records_pkey on idempotency_records"}},
		{"the limit counters", "text, text[]", postgresFindLimitUnits, `'deal_1', '{u1,u2,u3}'`,
			[]string{"using customer_deal_units_pkey on customer_deal_units"}},
		{"the customers' unpaid orders", "text[], bigint", postgresCountUnpaid, `'{u1,u2,u3}', 1`,
			[]string{"using orders_user_unpaid on orders"}},
		{"the sessions and their users", "text[], bigint", postgresFindSessionUsers, `'{h1,h2,h3}', 1`,
			[]string{"using sessions_pkey on sessions", "using users_pkey on users"}},
	} {
		plan := genericPlan(t, db, tt.types, tt.query, tt.args)
		for _, want := range tt.probes {
			if !strings.Contains(plan, want) {
				t.Errorf("%s: the plan does not probe %q:\n%s", tt.name, want, plan)
			}
		}
		if strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "Bitmap") || strings.Contains(plan, "Hash") || strings.Contains(plan, "orders_status_expiry") {
			t.Errorf("%s: the plan scans a table rather than probing it once per key:\n%s", tt.name, plan)
		}
	}
	// The form the probes replaced, planned the same way, for the log: on
	// PostgreSQL 15 the join from VALUES hashes a scan of every order.
	values := `WITH k(scope, key) AS (VALUES ($1, $2), ($3, $4), ($5, $6)) ` + idempotencySelect
	t.Logf("the join from VALUES:\n%s", genericPlan(t, db, "text, text, text, text, text, text", values, `'u1', 'k1', 'u2', 'k2', 'u3', 'k3'`))
}
