package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The sandbox's switches — payment confirmation, the fault switches and
// one-time codes in the answer — answer in demo and in serve --sandbox,
// and are absent from plain serve, for customers and operators alike.
func TestSandboxSwitchesOnlyInDemoOrWithTheFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	flags := append(storeArgs(t), "--addr", "127.0.0.1:0", "--argon2-memory-kib", "64", "--argon2-passes", "1", "--log-level", "error", "--drain-delay", "0")
	phone := 13788880000
	check := func(n *node, op string, on bool) {
		t.Helper()
		// Off, each answers 404 as if absent ("nothing is at ..."); on,
		// the faults answer 200 and a missing payment is the handler's 404.
		for _, c := range []struct{ method, path string }{{"GET", "/api/v1/sandbox/faults"}, {"POST", "/api/v1/sandbox/payments/pay_missing/confirm"}} {
			status, b, err := n.call(t, c.method, c.path, op, nil)
			absent := status == 404 && strings.Contains(string(b), "nothing is at")
			if err != nil || absent == on {
				t.Errorf("%s %s as the operator = %d %s %v, want it there: %v", c.method, c.path, status, b, err, on)
			}
		}
		phone++
		status, b, err := n.call(t, "POST", "/api/v1/auth/codes", "", map[string]string{"phone": fmt.Sprint(phone), "purpose": "register"})
		var sent struct {
			SandboxCode string `json:"sandbox_code"`
		}
		json.Unmarshal(b, &sent)
		if err != nil || status != 202 || (sent.SandboxCode != "") != on {
			t.Errorf("POST /api/v1/auth/codes = %d %s %v, want 202 with sandbox_code: %v", status, b, err, on)
		}
	}
	stop := func(n *node) {
		n.cmd.Process.Signal(syscall.SIGTERM)
		n.cmd.Wait()
	}

	n := start(t, bin, append([]string{"demo"}, flags...)...)
	op := n.login(t, "13900000001")
	check(n, op, true)
	stop(n)

	n = start(t, bin, append([]string{"serve"}, flags...)...)
	check(n, op, false) // the session survives the restart; the switches do not
	stop(n)

	n = start(t, bin, append([]string{"serve", "--sandbox"}, flags...)...)
	check(n, op, true)
}

// serve and demo set a soft memory limit unless GOMEMLIMIT says otherwise.
func TestDefaultMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	log := slog.New(slog.DiscardHandler)

	debug.SetMemoryLimit(old)
	setMemoryLimit(env(nil), defaultMemoryLimitMiB, log)
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimitMiB<<20 {
		t.Errorf("without GOMEMLIMIT the limit = %d, want %d", got, defaultMemoryLimitMiB<<20)
	}

	debug.SetMemoryLimit(old)
	setMemoryLimit(env(map[string]string{"GOMEMLIMIT": "3GiB"}), defaultMemoryLimitMiB, log)
	if got := debug.SetMemoryLimit(-1); got != old {
		t.Errorf("with GOMEMLIMIT set the limit = %d, want it left at %d", got, old)
	}

	debug.SetMemoryLimit(old)
	setMemoryLimit(env(nil), 0, log)
	if got := debug.SetMemoryLimit(-1); got != old {
		t.Errorf("with --memory-limit-mib 0 the limit = %d, want it left at %d", got, old)
	}

	if err := checkSessionFlags(time.Hour, time.Minute, time.Minute, time.Hour, 1, 1); err == nil {
		t.Error("an idle timeout longer than the maximum was accepted")
	}
}
