package bench

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"tuango/internal/demo"
)

// Config is one invocation of the flash bench.
type Config struct {
	// Binary is the tuango binary the bench starts servers with.
	Binary string
	// URL targets an existing server instead of starting one.
	URL              string
	OperatorPhone    string
	OperatorPassword string
	// OperatorTOTPSecret is the operator's authenticator secret (base32),
	// from which the bench computes the second factor at login.
	OperatorTOTPSecret string
	// DB is a PostgreSQL admin URL: each run gets a fresh database on it.
	// Empty means embedded SQLite in a fresh temporary folder.
	DB string
	// Nodes is how many servers share the one PostgreSQL database; the
	// buyers' connections are spread over them in turn. SQLite has one.
	Nodes int

	Stock     int // units of the flash deal
	Limit     int // units per customer
	Customers int // virtual customers
	// MaxUnpaid is the servers' --max-unpaid-orders: 0, no cap, by
	// default, since the demo's few customers place many orders each;
	// serve's default (5) with --customers of at least a fifth of --stock
	// measures the cap's cost.
	MaxUnpaid   int
	Concurrency int           // workers (closed loop) or requests in flight at most (open loop)
	Rate        float64       // orders per second in open loop; 0 for a closed loop
	Duration    time.Duration // the longest a run drives orders
	Tail        time.Duration // how long to go on after sell-out, measuring refusals
	MaxRequests int           // the most orders a run sends
	Ceiling     time.Duration // how long to measure GET /healthz; 0 skips it

	BatchMax    int           // --order-batch-max of the servers started
	BatchWindow time.Duration // --order-batch-window of the servers started
	Compare     bool          // run group commit on (BatchMax) and off (1) back to back
	Repeat      int           // runs of each variant; medians are reported

	// MaxOtherLoad, when above 0, keeps runs from sharing the machine:
	// each run waits (up to 5 minutes) until other processes use less than
	// this share of the CPU, and a run during which they used more is
	// discarded and run again, three times at most.
	MaxOtherLoad float64

	// CPUProfile, when set, receives the server's CPU profile over the
	// flash phase of the first run of each variant (own servers only).
	CPUProfile string
	// Progress receives a line per step; nil for none.
	Progress io.Writer
}

// Defaults are the flash bench's defaults: one hot deal, 256 buyers.
var Defaults = Config{
	OperatorPhone: "13900000001", OperatorPassword: "tuango-demo", OperatorTOTPSecret: demo.OperatorTOTPSecret,
	Stock: 20000, Limit: 100, Customers: 500, Concurrency: 256,
	Duration: 120 * time.Second, Tail: 2 * time.Second, MaxRequests: 5_000_000, Ceiling: 3 * time.Second,
	BatchMax: 512, Repeat: 1, Nodes: 1,
}

// nodes is how many servers a run starts: at least one.
func (c *Config) nodes() int { return max(c.Nodes, 1) }

func (c *Config) check() error {
	switch {
	case c.URL == "" && c.Binary == "":
		return errors.New("bench: no tuango binary to start a server with")
	case c.URL != "" && (c.Compare || c.DB != ""):
		return errors.New("bench: --compare and --db start servers of their own; they do not go with --url")
	case c.URL != "" && c.CPUProfile != "":
		return errors.New("bench: --server-cpu-profile needs a server the bench starts, not --url")
	case c.URL != "" && c.Nodes > 1:
		return errors.New("bench: --nodes starts servers of its own; it does not go with --url")
	case c.Nodes > 1 && c.DB == "":
		return fmt.Errorf("bench: --nodes %d needs --db postgres://...: on SQLite one process holds the one writer, so there is one node", c.Nodes)
	case c.Nodes < 0 || c.Nodes > 16:
		return errors.New("bench: --nodes is from 1 to 16")
	case c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://"):
		return fmt.Errorf("bench: --db %q: want a postgres:// admin URL", c.DB)
	case c.Stock < 1 || c.Limit < 1 || c.Customers < 1 || c.Concurrency < 1 || c.Repeat < 1 || c.MaxRequests < 1:
		return errors.New("bench: --stock, --limit, --customers, --concurrency, --repeat and --max-requests must be at least 1")
	case c.MaxUnpaid < 0:
		return errors.New("bench: --max-unpaid-orders is 0 (no cap) or more")
	case c.Customers > 100_000:
		return errors.New("bench: --customers is at most 100000")
	case c.Concurrency > 10_000:
		return errors.New("bench: --concurrency is at most 10000")
	case c.MaxOtherLoad < 0 || c.MaxOtherLoad > 1:
		return errors.New("bench: --max-other-load is a share of the CPU, from 0 to 1")
	case c.Rate < 0 || c.Duration <= 0 || c.Tail < 0 || c.Ceiling < 0:
		return errors.New("bench: --rate, --tail and --ceiling must not be negative, --duration must be positive")
	case c.BatchMax < 1 || c.BatchWindow < 0:
		return errors.New("bench: --order-batch-max must be at least 1 and --order-batch-window not negative")
	}
	return nil
}

// variant is one server setting the bench measures.
type variant struct {
	name     string
	batchMax int
	extra    []string // more serve flags
	cpus     []int    // CPUs the server runs on; none for any
}

func (c *Config) variants() []variant {
	if c.Compare {
		return []variant{{name: "group commit", batchMax: c.BatchMax}, {name: "plain", batchMax: 1}}
	}
	if c.URL != "" {
		return []variant{{name: "as configured"}}
	}
	if c.BatchMax == 1 {
		return []variant{{name: "plain", batchMax: 1}}
	}
	return []variant{{name: "group commit", batchMax: c.BatchMax}}
}

func (v variant) describe(window time.Duration) string {
	switch v.batchMax {
	case 0:
		return "the server's settings"
	case 1:
		return "plain path (--order-batch-max 1)"
	}
	return fmt.Sprintf("group commit (--order-batch-max %d --order-batch-window %s)", v.batchMax, window)
}

// profilePath names the profile of a variant: cpu.pprof, or cpu.on.pprof
// and cpu.off.pprof when comparing.
func profilePath(path string, v variant, several bool) string {
	if !several {
		return path
	}
	ext := filepath.Ext(path)
	tag := ".on"
	if v.batchMax == 1 {
		tag = ".off"
	}
	return strings.TrimSuffix(path, ext) + tag + ext
}

func (c *Config) progress(format string, args ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, "bench: "+format+"\n", args...)
	}
}
