package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/backup"
	"tuango/internal/sqlstore"
)

// The real binary under order load over HTTP: its scheduled backup and
// drill run and show on /metrics; `tuango backup` writes a backup while
// orders keep coming; `tuango restore` refuses the live folder and a
// damaged file with exit 1, and restores into a new folder with every
// order acknowledged before the backup, on which ledger verify and the
// drill pass.
func TestBackupAndRestoreCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data, dir := t.TempDir(), t.TempDir()
	n := start(t, bin, "demo", "--data", data, "--addr", "127.0.0.1:0", "--argon2-memory-kib", "64", "--argon2-passes", "1",
		"--log-level", "error", "--max-unpaid-orders", "0", "--backup-dir", filepath.Join(dir, "scheduled"),
		"--backup-every", "1s", "--restore-drill-every", "1s", "--replicate-to", filepath.Join(dir, "replica"))
	op := n.login(t, "13900000001")
	ppID, d := n.newDeal(t, op, 100000)
	tokens := n.customers(t, 8)

	var mu sync.Mutex
	var acked []ackOrder
	var refused []string // a few refusals, for the failure message
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; !stop.Load(); k++ {
				body := map[string]any{"pickup_point_id": ppID, "items": []map[string]any{{"deal_id": d.ID, "quantity": 1}}}
				status, b, err := n.call(t, "POST", "/api/v1/orders", tokens[i], body, "Idempotency-Key", fmt.Sprintf("bk%d-%d", i, k))
				if err != nil {
					return
				}
				mu.Lock()
				if status == 201 {
					var o ackOrder
					json.Unmarshal(b, &o)
					acked = append(acked, o)
				} else if len(refused) < 5 {
					refused = append(refused, fmt.Sprintf("%d %s", status, b))
				}
				mu.Unlock()
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	waitForAcks(&mu, &acked, 100)
	mu.Lock()
	before := append([]ackOrder(nil), acked...)
	mu.Unlock()
	if len(before) < 100 {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("only %d orders acknowledged in 20 s; want 100 before the backup for a meaningful test; refused: %q", len(before), refused)
	}

	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	manual := filepath.Join(dir, "manual")
	out, err := cli("backup", "--data", data, "--to", manual)
	if err != nil {
		t.Fatalf("tuango backup under load = %v\n%s", err, out)
	}
	files, err := backup.List(manual)
	if err != nil || len(files) != 1 {
		t.Fatalf("backups in %s = %v, %v", manual, files, err)
	}
	file := files[0]

	// The scheduled sweeps ran, and /metrics says when, from the record.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		body := scrape(t, n.url)
		if strings.Contains(body, "\ntuango_backup_last_success_timestamp_seconds ") && strings.Contains(body, "\ntuango_restore_drill_last_success_timestamp_seconds ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no backup and drill timestamps on /metrics after 30 s:\n%s", grepLines(body, "backup", "drill"))
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d orders acknowledged before `tuango backup`, %d in all", len(before), len(acked))

	if out, err := cli("restore", "--from", file, "--data", data); exitCode(err) != 1 || !strings.Contains(out, "--force") {
		t.Errorf("restore over the live folder = %v (exit %d), want exit 1 naming --force:\n%s", err, exitCode(err), out)
	}
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"truncated": good[:len(good)/2], "empty": nil, "bit-flipped": flip(good, len(good)-200)} {
		bad := filepath.Join(dir, name+backup.Ext)
		os.WriteFile(bad, b, 0o600)
		target := filepath.Join(dir, "restored-"+name)
		out, err := cli("restore", "--from", bad, "--data", target)
		if exitCode(err) != 1 || !strings.Contains(out, "damaged") {
			t.Errorf("restore of a %s backup = exit %d, want 1 saying it is damaged:\n%s", name, exitCode(err), out)
		}
		if _, err := os.Stat(target); err == nil {
			t.Errorf("restore of a %s backup created %s", name, target)
		}
		if out, err := cli("restore", "--from", bad, "--drill"); exitCode(err) != 1 {
			t.Errorf("drill of a %s backup = exit %d, want 1:\n%s", name, exitCode(err), out)
		}
	}

	restored := filepath.Join(dir, "restored")
	if out, err := cli("restore", "--from", file, "--data", restored); err != nil {
		t.Fatalf("restore into a new folder = %v\n%s", err, out)
	}
	raw, _, err := sqlstore.OpenRaw(restored)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, o := range before {
		var c int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM orders WHERE id = ?`, o.ID).Scan(&c); err != nil || c != 1 {
			t.Errorf("order %s, acknowledged before the backup, is not in the restored copy (%d, %v)", o.ID, c, err)
		}
	}
	if out, err := cli("ledger", "verify", "--data", restored); err != nil || !strings.Contains(out, "every rule holds") {
		t.Errorf("ledger verify on the restored copy = %v\n%s", err, out)
	}
	if out, err := cli("restore", "--from", file, "--drill"); err != nil || !strings.Contains(out, "rules held") {
		t.Errorf("restore --drill of a good backup = %v\n%s", err, out)
	}

	// The Litestream replica, shipped every second: every acknowledged
	// order is in it moments later, and it too refuses the live folder.
	replica := filepath.Join(dir, "replica")
	// Litestream's first snapshot comes a moment after the start.
	for deadline := time.Now().Add(15 * time.Second); !backup.IsReplica(replica); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no replica in %s 15 s after the start", replica)
		}
	}
	if out, err := cli("restore", "--from", replica, "--data", data); exitCode(err) != 1 || !strings.Contains(out, "--force") {
		t.Errorf("restore of the replica over the live folder = exit %d, want 1:\n%s", exitCode(err), out)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		target := filepath.Join(t.TempDir(), "from-replica")
		out, err := cli("restore", "--from", replica, "--data", target)
		if err != nil {
			t.Fatalf("restore from the replica = %v\n%s", err, out)
		}
		raw, _, err := sqlstore.OpenRaw(target)
		if err != nil {
			t.Fatal(err)
		}
		missing := 0
		for _, o := range acked {
			var c int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM orders WHERE id = ?`, o.ID).Scan(&c); err != nil || c != 1 {
				missing++
			}
		}
		raw.Close()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("15 s after the load stopped the replica still lacks %d of %d acknowledged orders", missing, len(acked))
		}
	}
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return "\n" + string(b)
}

func grepLines(s string, words ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

func flip(b []byte, at int) []byte {
	c := append([]byte(nil), b...)
	c[at] ^= 0x04
	return c
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode()
	}
	return -1
}
