package main

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// defaultMemoryLimitMiB is serve's and demo's soft memory limit. A burst
// of 100 logins took a node from 344 MiB to 1,433 MiB under GOGC=400: the
// hashes themselves are bounded (--argon2-concurrency × 64 MiB), but the
// collector let the garbage of the finished ones pile up. Under a limit it
// collects sooner instead.
const defaultMemoryLimitMiB = 1024

// setMemoryLimit sets the runtime's soft memory limit to mib MiB, unless
// GOMEMLIMIT is set (the operator's word wins) or mib is 0.
func setMemoryLimit(getenv func(string) string, mib int, log *slog.Logger) {
	if getenv("GOMEMLIMIT") != "" || mib <= 0 {
		return
	}
	debug.SetMemoryLimit(int64(mib) << 20)
	log.Info("memory limit", "mib", mib)
}

// checkSessionFlags refuses session timeouts and code limits that make no
// sense.
func checkSessionFlags(idle, max, staffIdle, staffMax time.Duration, perPhone, perIP int) error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"--session-idle", idle}, {"--session-max", max}, {"--staff-session-idle", staffIdle}, {"--staff-session-max", staffMax}} {
		if f.d < time.Minute {
			return fmt.Errorf("%s %v: want at least 1m", f.name, f.d)
		}
	}
	if idle > max || staffIdle > staffMax {
		return fmt.Errorf("an idle timeout longer than the session's maximum never applies: want --session-idle ≤ --session-max and --staff-session-idle ≤ --staff-session-max")
	}
	if perPhone < 0 || perIP < 0 {
		return fmt.Errorf("--codes-per-phone and --codes-per-ip: want 0 (no limit) or more")
	}
	return nil
}
