package bench

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// The overload bench gives the server and its own load generator CPUs of
// their own, so that a client short of CPU does not pass its backlog off
// as the server's latency (affinity_linux.go sets the masks).

// ParseCPUs reads a CPU list such as "0", "1-3" or "0,2": CPU numbers
// from 0 to runtime.NumCPU()-1, each at most once, in order.
func ParseCPUs(s string) ([]int, error) {
	var cpus []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a {
			return nil, fmt.Errorf("bench: CPU list %q: want numbers and ranges such as 0,2-3", s)
		}
		for c := a; c <= b; c++ {
			if c >= runtime.NumCPU() {
				return nil, fmt.Errorf("bench: CPU list %q: this machine has CPUs 0 to %d", s, runtime.NumCPU()-1)
			}
			cpus = append(cpus, c)
		}
	}
	slices.Sort(cpus)
	if len(slices.Compact(slices.Clone(cpus))) != len(cpus) {
		return nil, fmt.Errorf("bench: CPU list %q names a CPU twice", s)
	}
	return cpus, nil
}

// DefaultCPUs splits n CPUs between the server (the first half) and the
// load generator (the rest): on two cores, CPU 0 and CPU 1.
func DefaultCPUs(n int) (server, client string) {
	if n < 2 {
		return "", ""
	}
	half := n / 2
	return cpuRange(0, half-1), cpuRange(half, n-1)
}

func cpuRange(a, b int) string {
	if a == b {
		return strconv.Itoa(a)
	}
	return fmt.Sprintf("%d-%d", a, b)
}
