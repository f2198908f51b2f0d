package chaos

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// skipWithoutHA skips a failover test in short mode, outside the
// PostgreSQL pass and where pg_autoctl is not installed.
func skipWithoutHA(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a pg_auto_failover monitor and two PostgreSQL servers")
	}
	if os.Getenv("TUANGO_TEST_DB") != "postgres" {
		t.Skip("the failover tests run once, on the PostgreSQL pass (TUANGO_TEST_DB=postgres)")
	}
	if _, err := exec.LookPath("pg_autoctl"); err != nil {
		t.Skipf("%v: the failover tests need it", ErrNoAutoFailover)
	}
}

// startHA starts the pg_auto_failover set-up for a test, or skips it when
// pg_autoctl is not installed.
func startHA(t *testing.T) *HA {
	t.Helper()
	skipWithoutHA(t)
	h, err := StartHA(context.Background(), "", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// The set-up is what tuango relies on: a commit acknowledged by the
// primary is on the standby too; the standby takes over when the primary
// is killed, with the row; the old primary comes back as its standby.
func TestHAFailsOverWithWhatWasCommitted(t *testing.T) {
	h := startHA(t)
	ctx := context.Background()
	db, err := sql.Open("pgx", h.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sync, names string
	if err := db.QueryRowContext(ctx, `SELECT current_setting('synchronous_commit'), current_setting('synchronous_standby_names')`).Scan(&sync, &names); err != nil {
		t.Fatal(err)
	}
	if sync != "on" || names == "" {
		t.Fatalf("synchronous_commit = %q, synchronous_standby_names = %q: want on and a standby named", sync, names)
	}
	// n is the key of each insert: an INSERT whose connection died with
	// the primary may have committed (its outcome is unknown to the
	// client), so the retry below must not add the row twice.
	if _, err := db.ExecContext(ctx, `CREATE TABLE kept (n int PRIMARY KEY); INSERT INTO kept VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	for round, dead := range []int{0, 1} {
		killed := time.Now()
		h.Kill(dead)
		var n int
		for {
			_, err := db.ExecContext(ctx, `INSERT INTO kept VALUES ($1) ON CONFLICT (n) DO NOTHING`, round+2)
			if err == nil {
				break
			}
			if time.Since(killed) > 60*time.Second {
				t.Fatalf("round %d: no primary 60 s after the kill: %v", round+1, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("round %d: writable again %.1f s after %s was killed", round+1, time.Since(killed).Seconds(), h.Name(dead))
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM kept`).Scan(&n); err != nil || n != round+2 {
			t.Fatalf("round %d: rows = %d (%v), want %d", round+1, n, err, round+2)
		}
		if err := h.Restart(dead); err != nil {
			t.Fatal(err)
		}
		primary, err := h.WaitSettled(ctx, 90*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if primary == dead {
			t.Fatalf("round %d: %s is primary again, want it a standby", round+1, h.Name(dead))
		}
	}
}

// TestFailoverDrill is tuango chaos --scenario failover, short enough for
// CI: three nodes, a flash sale, the primary SIGKILLed and then the
// promoted one; nothing acknowledged lost, no 500, ordering back within
// 30 s of each death, every unknown key settled.
func TestFailoverDrill(t *testing.T) {
	skipWithoutHA(t)
	bin := buildTuango(t)
	dir := t.TempDir()
	var progress strings.Builder
	r, err := Run(t.Context(), Config{Scenario: "failover", Binary: bin, Nodes: 3, Duration: 30 * time.Second, Customers: 40,
		KillEvery: time.Second, Seed: uint64(time.Now().UnixNano()), HistoryDir: dir, Progress: &progress})
	if err != nil {
		t.Fatalf("Run() = %v\n%s", err, progress.String())
	}
	var out strings.Builder
	r.Print(&out)
	t.Log("\n" + out.String())
	if !r.Ok() {
		t.Errorf("the failover drill found violations; the report is above")
	}
	if len(r.Failover.Failovers) != failoverRounds || r.Requests[PlaceOrder].OK == 0 {
		t.Errorf("%d failovers, %d orders acknowledged: the drill proved nothing", len(r.Failover.Failovers), r.Requests[PlaceOrder].OK)
	}
}
