package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"tuango/internal/storetest"
)

// tuango block and tuango allow on a real database: what they add is
// listed, what they remove is gone, bad input is refused with a reason.
func TestBlockAndAllowCommands(t *testing.T) {
	dsn := storetest.DSN(t)
	db := []string{"--data", dsn}
	if strings.HasPrefix(dsn, "postgres") {
		db = []string{"--db", dsn}
	}
	ctx := context.Background()
	cli := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, append(args, db...), env(nil), nil, &out, &errb)
		return out.String() + errb.String(), err
	}
	for _, tc := range []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"block an address for a day", []string{"block", "add", "203.0.113.7", "--reason", "扫描器 from the logs", "--for", "24h"}, "added 203.0.113.7/32 to the block list", ""},
		{"block a range with no end", []string{"block", "add", "198.51.100.0/24", "--reason", "abuse report"}, "with no end", ""},
		{"allow the office", []string{"allow", "add", "198.51.100.10", "--reason", "office"}, "added 198.51.100.10/32 to the allow list", ""},
		{"no reason", []string{"block", "add", "203.0.113.8"}, "", "reason"},
		{"not an address", []string{"block", "add", "203.0.113.", "--reason", "x"}, "", "not an IP address"},
		{"an end in the past", []string{"block", "add", "203.0.113.9", "--reason", "x", "--until", "2020-01-01T00:00:00Z"}, "", "future"},
		{"both --for and --until", []string{"block", "add", "203.0.113.9", "--reason", "x", "--for", "1h", "--until", "2030-01-01T00:00:00Z"}, "", "not both"},
		{"no address", []string{"block", "remove"}, "", "give the address"},
		{"an unknown verb", []string{"block", "drop", "203.0.113.7"}, "", "want add, list or remove"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := cli(tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("%v: err = %v, want one saying %q", tc.args, err, tc.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out, tc.wantOut) {
				t.Errorf("%v = %q, %v; want %q", tc.args, out, err, tc.wantOut)
			}
		})
	}
	out, err := cli("block", "list")
	if err != nil || !strings.Contains(out, "203.0.113.7/32") || !strings.Contains(out, "198.51.100.0/24") || !strings.Contains(out, "2 live rules") {
		t.Errorf("block list = %q, %v; want both blocks", out, err)
	}
	if out, err := cli("allow", "list"); err != nil || !strings.Contains(out, "198.51.100.10/32") || !strings.Contains(out, "1 live rules") {
		t.Errorf("allow list = %q, %v", out, err)
	}
	if out, err := cli("block", "remove", "203.0.113.7"); err != nil || !strings.Contains(out, "1 rules ended") {
		t.Errorf("block remove = %q, %v", out, err)
	}
	if _, err := cli("block", "remove", "203.0.113.7"); err == nil || !strings.Contains(err.Error(), "not on the block list") {
		t.Errorf("block remove again: err = %v, want not on the block list", err)
	}
	if out, _ := cli("block", "list"); strings.Contains(out, "203.0.113.7/32") {
		t.Errorf("block list after remove = %q", out)
	}
}

// The real binary with its defaults (detection on, the WAF blocking), on
// 127.0.0.1, which is not exempt: ten distinct misses ban it; tuango block
// list shows the ban; tuango block remove lifts it on the running node
// within a second.
func TestDemoBansAProbingLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dsn := storetest.DSN(t)
	db := []string{"--data", dsn}
	if strings.HasPrefix(dsn, "postgres") {
		db = []string{"--db", dsn}
	}
	n := start(t, bin, append([]string{"demo", "--addr", "127.0.0.1:0", "--argon2-memory-kib", "64", "--argon2-passes", "1", "--log-level", "error"}, db...)...)
	for i := range 10 {
		if status, _, err := n.call(t, "GET", fmt.Sprintf("/no-such-page-%d", i), "", nil); err != nil || status != 404 {
			t.Fatalf("probe %d = %d, %v; want 404", i+1, status, err)
		}
	}
	status, body, err := n.call(t, "GET", "/api/v1/pickup-points", "", nil)
	if err != nil || status != 403 || strings.TrimSpace(string(body)) != `{"status":403,"code":"banned"}` {
		t.Fatalf("after ten misses = %d %s, %v; want 403 banned", status, body, err)
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"block", "list"}, db...), env(nil), nil, &out, &errb); err != nil || !strings.Contains(out.String(), "127.0.0.1/32") || !strings.Contains(out.String(), "http-probing") {
		t.Fatalf("block list = %q %q, %v; want the loopback's http-probing ban", out.String(), errb.String(), err)
	}
	out.Reset()
	if err := run(context.Background(), append([]string{"block", "remove", "127.0.0.1"}, db...), env(nil), nil, &out, &errb); err != nil {
		t.Fatalf("block remove: %v %s", err, errb.String())
	}
	time.Sleep(time.Second)
	if status, body, err := n.call(t, "GET", "/api/v1/pickup-points", "", nil); err != nil || status != 200 {
		t.Errorf("a second after tuango block remove = %d %s, %v; want 200", status, body, err)
	}
}
