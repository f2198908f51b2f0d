package chaos

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestChaosShort is the fault test in both scenarios, short enough for CI:
// the real binary, real PostgreSQL (skipped when unreachable) and real
// SQLite, nodes killed every two seconds, during the sale and the day
// after it. Set TUANGO_CHAOS_SEED to repeat a
// run's random choices.
func TestChaosShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the fault test for a minute")
	}
	if os.Getenv("TUANGO_TEST_DB") == "postgres" {
		t.Skip("runs both engines itself; the PostgreSQL pass of the suite need not run it again")
	}
	bin := filepath.Join(t.TempDir(), "tuango")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tuango")
	build.Dir = filepath.Join("..", "..") // the module root, from internal/chaos
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TUANGO_CHAOS_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("TUANGO_CHAOS_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (repeat with TUANGO_CHAOS_SEED=%d)", seed, seed)
	for _, scenario := range []string{"postgres", "sqlite"} {
		t.Run(scenario, func(t *testing.T) {
			if scenario == "postgres" {
				if err := PostgresReachable(t.Context(), AdminURL("")); err != nil {
					t.Skipf("PostgreSQL is unreachable at %s: %v", AdminURL(""), err)
				}
			}
			// The history and node logs are kept if the test fails.
			dir, err := os.MkdirTemp("", "tuango-chaos-test-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("history, setup and node logs kept in %s", dir)
				} else {
					os.RemoveAll(dir)
				}
			})
			var progress bytes.Buffer
			r, err := Run(t.Context(), Config{Scenario: scenario, Binary: bin, Nodes: 3, Duration: 8 * time.Second, Customers: 60,
				KillEvery: 2 * time.Second, Seed: seed, HistoryDir: dir, Progress: &progress})
			if err != nil {
				t.Fatalf("Run() = %v\n%s", err, progress.String())
			}
			var out bytes.Buffer
			r.Print(&out)
			t.Log("\n" + out.String())
			if !r.Ok() {
				t.Errorf("the fault test found violations (seed %d); the report is above", seed)
			}
			if r.Kills == 0 || r.Restarts == 0 {
				t.Errorf("%d kills and %d restarts; want the nemesis to have struck", r.Kills, r.Restarts)
			}
			if r.Requests[PlaceOrder].OK == 0 {
				t.Errorf("no order was acknowledged; the test proved nothing")
			}
			if !r.Setup.Day || r.Requests[CutoffOp].OK == 0 || r.Requests[SignOp].OK == 0 {
				t.Errorf("the day after the sale was not played: %d cutoffs and %d sign-offs acknowledged", r.Requests[CutoffOp].OK, r.Requests[SignOp].OK)
			}
			if r.KillsDuring[CutoffOp]+r.KillsDuring[DispatchOp]+r.KillsDuring[SignOp]+r.KillsDuring[PickupOp] == 0 {
				t.Errorf("no node was killed under a request of the day")
			}
		})
	}
}
