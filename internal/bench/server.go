package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create, count and drop bench databases
	_ "modernc.org/sqlite"             // the "sqlite" driver, to count orders in the server's file
)

// server is a tuango process the bench started, on data of its own.
type server struct {
	cmd     *exec.Cmd
	url     string
	dir     string // temporary folder: SQLite data, profile
	pgAdmin string // PostgreSQL admin URL, when on PostgreSQL
	pgURL   string // the bench's own database on it
	pgName  string
	stderr  *tailBuffer
	exited  chan struct{}
}

// serverOptions say how to start a server.
type serverOptions struct {
	binary      string // the tuango binary
	pgAdmin     string // postgres://... admin URL, or "" for SQLite
	batchMax    int
	batchWindow time.Duration
	maxUnpaid   int      // --max-unpaid-orders (0: no cap)
	profile     bool     // profile the CPU on SIGUSR1 … SIGUSR2 (see cmd/tuango/profile.go)
	extra       []string // more serve flags, such as the admission control's
	// join is the URL of a PostgreSQL database another node created and
	// seeded: this node runs `tuango serve` on it, and neither creates
	// nor drops it (see nodes.go).
	join   string
	nodeID string // --node-id, when several nodes share the database
	cpus   []int  // CPUs the server may run on; none for any
}

// startServer starts `tuango demo` on fresh data on a free port of
// 127.0.0.1 and waits until it is ready.
func startServer(ctx context.Context, o serverOptions) (s *server, err error) {
	dir, err := os.MkdirTemp("", "tuango-bench-")
	if err != nil {
		return nil, err
	}
	s = &server{dir: dir, stderr: &tailBuffer{max: 64 << 10}, exited: make(chan struct{})}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	command := "demo"
	if o.join != "" {
		command = "serve"
	}
	args := []string{command, "--addr", "127.0.0.1:0", "--argon2-memory-kib", "64", "--argon2-passes", "1", "--log-level", "info", // the request log as in production, sampled past its rate
		"--drain-delay", "0", "--order-batch-max", strconv.Itoa(o.batchMax), "--order-batch-window", o.batchWindow.String(),
		"--max-unpaid-orders", strconv.Itoa(o.maxUnpaid), // 0 by default: a few customers place many orders each
		"--codes-per-ip", "0", // the bench registers its customers from one address
		"--ids", "off", "--rate-limit", "off", "--waf", "off"} // all from one address, as fast as it can; the WAF's cost is measured on its own
	args = append(args, o.extra...)
	if o.nodeID != "" {
		args = append(args, "--node-id", o.nodeID)
	}

	switch {
	case o.join != "":
		s.pgURL = o.join
		args = append(args, "--db", s.pgURL)
	case o.pgAdmin != "":
		if err := s.createDatabase(ctx, o.pgAdmin); err != nil {
			return s, err
		}
		args = append(args, "--db", s.pgURL)
	default:
		args = append(args, "--data", filepath.Join(dir, "data"))
	}
	s.cmd = exec.Command(o.binary, args...)
	// No TUANGO_* variable meant for the bench may change how the server
	// runs: its settings are the arguments above.
	s.cmd.Env = []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TUANGO_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	if o.profile {
		s.cmd.Env = append(s.cmd.Env, "TUANGO_CPU_PROFILE="+s.profilePath())
	}
	if len(o.cpus) > 0 {
		// Pinned, the server still schedules goroutines on as many threads
		// as it would unpinned: Go would size GOMAXPROCS to the pinned CPUs,
		// and with one P a thread blocked in the SQLite writer's write and
		// fsync stalls every request (docs/benchmarks.md, "Overload").
		s.cmd.Env = append(slices.DeleteFunc(s.cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, "GOMAXPROCS=") }),
			"GOMAXPROCS="+strconv.Itoa(max(2, runtime.NumCPU())))
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return s, err
	}
	s.cmd.Stderr = s.stderr
	start := s.cmd.Start
	if len(o.cpus) > 0 {
		start = func() error { return startPinned(s.cmd, o.cpus) }
	}
	if err := start(); err != nil {
		return s, fmt.Errorf("start %s: %w", o.binary, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), " listening on "); ok {
				urls <- strings.Fields(after)[0]
			}
		}
	}()
	select {
	case s.url = <-urls:
	case <-s.exited:
		return s, fmt.Errorf("the server exited at start: %s", s.stderr)
	case <-time.After(2 * time.Minute):
		return s, fmt.Errorf("the server did not start within 2 minutes: %s", s.stderr)
	case <-ctx.Done():
		return s, ctx.Err()
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if get(ctx, hc, s.url+"/readyz") {
			return s, nil
		}
	}
	return s, fmt.Errorf("%s never became ready: %s", s.url, s.stderr)
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) profilePath() string { return filepath.Join(s.dir, "cpu.pprof") }

// signal sends sig to the server.
func (s *server) signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// shutdown stops the server with SIGTERM (so that it drains and flushes a
// profile), or SIGKILL after 30 seconds, leaving its data in place.
func (s *server) shutdown() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// stop shuts the server down and removes its data.
func (s *server) stop() {
	s.shutdown()
	if s.pgName != "" {
		s.dropDatabase()
	}
	os.RemoveAll(s.dir)
}

// createDatabase creates a fresh database for this run through the admin
// URL; the demo seeds it.
func (s *server) createDatabase(ctx context.Context, admin string) error {
	u, err := url.Parse(admin)
	if err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	var b [6]byte
	rand.Read(b[:])
	s.pgAdmin, s.pgName = admin, "tuango_bench_"+hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+s.pgName); err != nil {
		s.pgName = ""
		return fmt.Errorf("create the bench database: %w", err)
	}
	u.Path = "/" + s.pgName
	s.pgURL = u.String()
	return nil
}

func (s *server) dropDatabase() {
	db, err := sql.Open("pgx", s.pgAdmin)
	if err != nil {
		return
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+s.pgName+" WITH (FORCE)")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte(nil), t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return "(no output on stderr)"
	}
	return s
}

var _ io.Writer = (*tailBuffer)(nil)
