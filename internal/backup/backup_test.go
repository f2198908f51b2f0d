package backup_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/backup"
	"tuango/internal/demo"
	"tuango/internal/payment"
	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// shop is a live tuango on a real database with demo data, a few paid
// orders and the service that takes more.
type shop struct {
	dsn   string
	db    *sqlstore.DB
	svc   *tuango.Service
	sb    *payment.Sandbox
	clock *tuango.ManualClock
	deals []tuango.Deal
	users []*tuango.User
}

func openShop(t *testing.T) *shop {
	t.Helper()
	return openShopAt(t, storetest.DSN(t))
}

func openShopAt(t testing.TB, dsn string) *shop {
	t.Helper()
	if backup.IsPostgres(os.Getenv("TUANGO_TEST_POSTGRES_URL")) && os.Getenv("TUANGO_TEST_DB") == "postgres" {
		if err := backup.Tools(); err != nil {
			t.Skip(err)
		}
	}
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now()
	sum, err := demo.Seed(ctx, db.Store(), auth.NewHasher(auth.Params{Time: 1, Memory: 64, Threads: 1}, 1), now, 1)
	if err != nil {
		t.Fatal(err)
	}
	clock := tuango.NewManualClock(now)
	sb := payment.NewSandbox(db.Store(), clock, []byte("k"), "http://127.0.0.1:1", nil)
	t.Cleanup(sb.Close)
	svc := tuango.NewService(db.Store(), clock, nil, nil, sb, tuango.Config{}, nil)
	t.Cleanup(svc.Close)
	deals, err := db.Store().FindDeals(ctx, tuango.DealFilter{CityID: sum.CityID, LiveAt: now})
	if err != nil || len(deals) < 4 {
		t.Fatalf("demo deals = %d, %v", len(deals), err)
	}
	s := &shop{dsn: dsn, db: db, svc: svc, sb: sb, clock: clock, deals: deals}
	for i := 1001; i <= 1400; i++ {
		u, err := db.Store().FindUserByPhone(ctx, fmt.Sprint("1390000", i))
		if err != nil {
			t.Fatal(err)
		}
		s.users = append(s.users, u)
	}
	// A few paid orders, so that the ledger has sets to verify.
	for i := range 3 {
		s.pay(t, s.order(t, i, "paid"), i)
	}
	return s
}

// order places one order of customer i and returns its id.
func (s *shop) order(t testing.TB, i int, key string) string {
	u := s.users[i]
	o, err := s.svc.PlaceOrder(context.Background(), tuango.Actor{UserID: u.ID, Role: u.Role}, tuango.PlaceOrderRequest{PickupPointID: u.HomePickupPointID,
		Items: []tuango.OrderItem{{DealID: s.deals[i%len(s.deals)].ID, Quantity: 1}}, Idem: &tuango.Idempotency{Scope: u.ID, Key: key, Fingerprint: key}})
	if err != nil {
		t.Errorf("customer %d: place order: %v", i, err)
		return ""
	}
	return o.Value.ID
}

func (s *shop) pay(t testing.TB, orderID string, i int) {
	t.Helper()
	ctx := context.Background()
	u := s.users[i]
	a := tuango.Actor{UserID: u.ID, Role: u.Role}
	p, err := s.svc.CreatePayment(ctx, a, orderID, &tuango.Idempotency{Scope: u.ID, Key: "p" + orderID, Fingerprint: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.sb.Confirm(ctx, p.Value.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(tuango.ReconcileAfter + time.Second)
	if _, err := s.svc.Reconcile(ctx, 100); err != nil {
		t.Fatal(err)
	}
}

// scratch is where a drill restores, per engine.
func scratch(t *testing.T, dsn string) string {
	t.Helper()
	if !backup.IsPostgres(dsn) {
		return t.TempDir()
	}
	u, err := backup.DrillURL(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := backup.EnsureDatabase(context.Background(), dsn, u); err != nil {
		t.Fatal(err)
	}
	// The copy of this test's schema goes when the test ends.
	pu, _ := url.Parse(dsn)
	if schema := pu.Query().Get("search_path"); schema != "" {
		t.Cleanup(func() {
			db, err := sql.Open("pgx", u)
			if err != nil {
				return
			}
			defer db.Close()
			db.Exec(`DROP SCHEMA IF EXISTS "` + schema + `" CASCADE`)
		})
	}
	return u
}

// The drill under write load: orders are placed through the service while
// the backup is taken. Every order acknowledged before the backup began is
// in the restored copy; the copy passes the integrity checks, its row
// counts match the manifest, and the invariant checker and the ledger's
// verification hold on it.
func TestRestoreDrillUnderWriteLoad(t *testing.T) {
	s := openShop(t)
	ctx := context.Background()
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	const writers = 4
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 3 + w; i < len(s.users); i += writers {
				select {
				case <-stop:
					return
				default:
				}
				if id := s.order(t, i, "load"); id != "" {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}()
	}
	// Let the load run, then back up in the middle of it.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	res, err := backup.Take(ctx, s.dsn, t.TempDir(), s.clock.Now(), map[string]string{"note": "test"})
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Take under load: %v", err)
	}
	t.Logf("backup %s: %d bytes, %d orders acknowledged before it, %d while it ran, %d in all", filepath.Base(res.Path), res.Bytes, len(before), during, len(acked))
	if res.Manifest.Extra["note"] != "test" || res.Manifest.Rows["orders"] < int64(len(before)) {
		t.Errorf("manifest = %+v", res.Manifest)
	}

	rep := backup.Drill(ctx, res.Path, scratch(t, s.dsn))
	if !rep.OK() {
		t.Fatalf("drill of a good backup: %s", rep.Summary())
	}
	if len(rep.Checks) < 8 {
		t.Errorf("the drill ran %d rules, want the checker's and the ledger's", len(rep.Checks))
	}
	t.Log(rep.Summary())

	// Every acknowledged order is in a copy restored where a node could use it.
	target := restoreTarget(t, s.dsn)
	if _, err := backup.Restore(ctx, res.Path, target, false); err != nil {
		t.Fatalf("restore into an empty target: %v", err)
	}
	raw, _, err := sqlstore.OpenRaw(targetDSN(target, res.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, id := range before {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM orders WHERE id = '` + id + `'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("order %s, acknowledged before the backup, restored %d times (%v)", id, n, err)
		}
	}
	// And the restored copy opens as a database tuango can serve from.
	rdb, err := sqlstore.Open(ctx, targetDSN(target, res.Manifest))
	if err != nil {
		t.Fatalf("open the restored copy: %v", err)
	}
	rdb.Close()
}

// restoreTarget is a fresh, empty place to restore into: a folder, or a
// database of its own on the test server.
func restoreTarget(t *testing.T, dsn string) string {
	t.Helper()
	if !backup.IsPostgres(dsn) {
		return filepath.Join(t.TempDir(), "data")
	}
	return scratch(t, dsn)
}

// targetDSN is the URL that reads the restored schema.
func targetDSN(target string, m backup.Manifest) string {
	if !backup.IsPostgres(target) {
		return target
	}
	return target + "&search_path=" + m.Schema
}

// A truncated, a bit-flipped and an empty backup are each refused before
// anything is written, and a drill of each is recorded as failed.
func TestDamagedBackupsFailLoudly(t *testing.T) {
	s := openShop(t)
	ctx := context.Background()
	dir := t.TempDir()
	sched := &backup.Schedule{DSN: s.dsn, Dir: dir, Keep: 3, Node: "test", Clock: s.clock, Runs: s.db.Store()}
	if s.dsn != "" && backup.IsPostgres(s.dsn) {
		sched.Scratch = scratch(t, s.dsn)
	} else {
		sched.Scratch = t.TempDir()
	}
	if _, err := sched.Backup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sched.Drill(ctx); err != nil {
		t.Fatalf("drill of a good backup: %v", err)
	}
	files, err := backup.List(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("List = %v, %v", files, err)
	}
	good, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	damage := map[string]func([]byte) []byte{
		"truncated":   func(b []byte) []byte { return b[:len(b)*2/3] },
		"bit-flipped": func(b []byte) []byte { c := append([]byte(nil), b...); c[len(c)-len(c)/3] ^= 0x10; return c },
		"empty":       func([]byte) []byte { return nil },
		"manifest":    func(b []byte) []byte { c := append([]byte(nil), b...); c[100] ^= 0x01; return c },
	}
	for name, f := range damage {
		t.Run(name+" backup is refused and fails the drill", func(t *testing.T) {
			if err := os.WriteFile(files[0], f(good), 0o600); err != nil {
				t.Fatal(err)
			}
			target := restoreTarget(t, s.dsn)
			_, err := backup.Restore(ctx, files[0], target, false)
			if !errors.Is(err, backup.ErrCorrupt) {
				t.Errorf("Restore = %v, want ErrCorrupt", err)
			}
			if !backup.IsPostgres(target) {
				if _, serr := os.Stat(target); !errors.Is(serr, os.ErrNotExist) {
					t.Errorf("a refused restore wrote %s (%v)", target, serr)
				}
			}
			s.clock.Advance(time.Minute) // each drill recorded after the last
			if _, err := sched.Drill(ctx); err == nil {
				t.Error("the drill of a damaged backup succeeded")
			}
			runs, err := s.db.Store().BackupRuns(ctx, 1)
			if err != nil || len(runs) != 1 || runs[0].Kind != tuango.BackupRunDrill || runs[0].OK {
				t.Errorf("the last recorded run = %+v, %v; want a failed drill", runs, err)
			}
		})
	}
	last, err := s.db.Store().LastGoodBackupRun(ctx, tuango.BackupRunDrill)
	if err != nil || last.IsZero() {
		t.Errorf("LastGoodBackupRun(drill) = %v, %v; want the first drill's time", last, err)
	}
}

// Restore refuses a target that holds data unless forced.
func TestRestoreRefusesLiveData(t *testing.T) {
	s := openShop(t)
	ctx := context.Background()
	res, err := backup.Take(ctx, s.dsn, t.TempDir(), s.clock.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	target := s.dsn // the live database itself
	if backup.IsPostgres(s.dsn) {
		target = restoreTarget(t, s.dsn)
		if _, err := backup.Restore(ctx, res.Path, target, false); err != nil {
			t.Fatal(err)
		}
	}
	id := s.order(t, 10, "after")
	if _, err := backup.Restore(ctx, res.Path, target, false); !errors.Is(err, backup.ErrLive) {
		t.Fatalf("Restore over live data = %v, want ErrLive", err)
	}
	if backup.IsPostgres(s.dsn) {
		if _, err := backup.Restore(ctx, res.Path, target, true); err != nil {
			t.Fatalf("Restore --force = %v", err)
		}
		return
	}
	s.db.Close() // the node is stopped
	if _, err := backup.Restore(ctx, res.Path, target, true); err != nil {
		t.Fatalf("Restore --force = %v", err)
	}
	db, err := sqlstore.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowForTest(`SELECT COUNT(*) FROM orders WHERE id = ?`, id).Scan(&n); err != nil || n != 0 {
		t.Errorf("order %s placed after the backup survived the forced restore: %d, %v", id, n, err)
	}
}
