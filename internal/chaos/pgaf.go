package chaos

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HA is a PostgreSQL high-availability set-up made with pg_auto_failover on
// this machine, as throwaway clusters in one folder: a monitor and two data
// nodes, one primary and one synchronous standby, each its own
// `pg_autoctl run` on its own port. The fault test SIGKILLs a data node
// whole (its keeper and its PostgreSQL) as a server's loss, and restarts it
// as pg_autoctl would be restarted by its service manager: it then rejoins
// as a standby of the promoted one.
type HA struct {
	dir     string
	bin     string // PostgreSQL's programs: initdb, pg_ctl, ...
	monitor *haServer
	nodes   [2]*haServer
	db      *sql.DB // the monitor's pg_auto_failover database
}

// haServer is one pg_autoctl run: the monitor or a data node.
type haServer struct {
	name string
	port int
	data string
	log  *os.File

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// The monitor's timing: pg_auto_failover's defaults (a health check every
// 5 s, a node unhealthy after 20 s, a demoted primary waited for 30 s) made
// short, so that a failover takes seconds. HATimings says the same in
// words, for reports and docs.
var monitorSettings = map[string]string{
	"pgautofailover.health_check_period":               "1s",
	"pgautofailover.health_check_timeout":              "1s",
	"pgautofailover.health_check_max_retries":          "1",
	"pgautofailover.health_check_retry_delay":          "500ms",
	"pgautofailover.node_considered_unhealthy_timeout": "2s",
	"pgautofailover.primary_demote_timeout":            "4s",
	"pgautofailover.startup_grace_period":              "2s",
}

// keeperNetworkPartitionTimeout is how long, in seconds, a keeper whose
// primary cannot reach the monitor nor its standby waits before it demotes
// itself; it must stay under primary_demote_timeout.
const keeperNetworkPartitionTimeout = "2"

// HATimings describes the set-up's failover settings.
func HATimings() string {
	keys := []string{"health_check_period", "health_check_timeout", "health_check_max_retries", "health_check_retry_delay",
		"node_considered_unhealthy_timeout", "primary_demote_timeout", "startup_grace_period"}
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+monitorSettings["pgautofailover."+k])
	}
	return "pgautofailover." + strings.Join(parts, ", ") + "; keeper timeout.network_partition_timeout=" + keeperNetworkPartitionTimeout + "s"
}

// ErrNoAutoFailover says pg_auto_failover is not installed.
var ErrNoAutoFailover = errors.New("pg_autoctl is not installed (Debian: apt-get install -y postgresql-15-auto-failover)")

// StartHA makes and starts the set-up in a new folder under dir (the
// system's temporary folder when empty) and waits until node 0 is primary
// and node 1 its synchronous standby. say reports progress.
func StartHA(ctx context.Context, dir string, say func(string, ...any)) (*HA, error) {
	if _, err := exec.LookPath("pg_autoctl"); err != nil {
		return nil, ErrNoAutoFailover
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(matches) == 0 {
		return nil, errors.New("chaos: no PostgreSQL server programs (/usr/lib/postgresql/*/bin/pg_ctl)")
	}
	top, err := os.MkdirTemp(dir, "tuango-ha-")
	if err != nil {
		return nil, err
	}
	h := &HA{dir: top, bin: filepath.Dir(matches[len(matches)-1])}
	ok := false
	defer func() {
		if !ok {
			h.Close()
		}
	}()
	if err := h.own(top); err != nil {
		return nil, err
	}
	names := []string{"monitor", "node1", "node2"}
	servers := make([]*haServer, len(names))
	for i, name := range names {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		p, _ := strconv.Atoi(port[strings.LastIndex(port, ":")+1:])
		log, err := os.OpenFile(filepath.Join(top, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		servers[i] = &haServer{name: name, port: p, data: filepath.Join(top, name), log: log}
	}
	h.monitor, h.nodes = servers[0], [2]*haServer{servers[1], servers[2]}

	say("pg_auto_failover monitor on port %d", h.monitor.port)
	if out, err := h.autoctl(ctx, "create", "monitor", "--pgdata", h.monitor.data, "--pgport", strconv.Itoa(h.monitor.port),
		"--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--pgctl", filepath.Join(h.bin, "pg_ctl")); err != nil {
		return nil, fmt.Errorf("chaos: pg_autoctl create monitor: %v\n%s", err, out)
	}
	if err := h.run(h.monitor); err != nil {
		return nil, err
	}
	if h.db, err = sql.Open("pgx", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/pg_auto_failover?sslmode=disable", h.monitor.port)); err != nil {
		return nil, err
	}
	if err := h.tuneMonitor(ctx); err != nil {
		return nil, err
	}
	for i, n := range h.nodes {
		say("pg_auto_failover data node %s on port %d", n.name, n.port)
		if out, err := h.autoctl(ctx, "create", "postgres", "--pgdata", n.data, "--pgport", strconv.Itoa(n.port), "--hostname", "127.0.0.1",
			"--name", n.name, "--auth", "trust", "--no-ssl", "--pgctl", filepath.Join(h.bin, "pg_ctl"),
			"--monitor", fmt.Sprintf("postgres://autoctl_node@127.0.0.1:%d/pg_auto_failover?sslmode=disable", h.monitor.port)); err != nil {
			return nil, fmt.Errorf("chaos: pg_autoctl create postgres %s: %v\n%s", n.name, err, out)
		}
		if out, err := h.autoctl(ctx, "config", "set", "--pgdata", n.data, "timeout.network_partition_timeout", keeperNetworkPartitionTimeout); err != nil {
			return nil, fmt.Errorf("chaos: pg_autoctl config set %s: %v\n%s", n.name, err, out)
		}
		if err := h.run(n); err != nil {
			return nil, err
		}
		if i == 0 {
			if err := h.WaitFor(ctx, i, "single", 60*time.Second); err != nil {
				return nil, fmt.Errorf("%w; the end of %s:\n%s", err, n.log.Name(), n.tail())
			}
		}
	}
	if _, err := h.WaitSettled(ctx, 90*time.Second); err != nil {
		return nil, err
	}
	ok = true
	return h, nil
}

// tuneMonitor shortens the monitor's health checks and reloads it.
func (h *HA) tuneMonitor(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		if err = h.db.PingContext(ctx); err == nil {
			break
		}
		sleep(ctx, 200*time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("chaos: the pg_auto_failover monitor does not answer: %w", err)
	}
	for k, v := range monitorSettings {
		if _, err := h.db.ExecContext(ctx, fmt.Sprintf("ALTER SYSTEM SET %s = '%s'", k, v)); err != nil {
			return fmt.Errorf("chaos: monitor: set %s: %w", k, err)
		}
	}
	_, err = h.db.ExecContext(ctx, "SELECT pg_reload_conf()")
	return err
}

// own gives the folder to the postgres user when we are root (initdb
// refuses root).
func (h *HA) own(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("chaos: running as root, PostgreSQL needs the postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

// command is pg_autoctl with args, as postgres when we are root, in an
// environment of its own: PostgreSQL's programs first on the path, and
// pg_autoctl's configuration and state inside the set-up's folder. ctx,
// when it ends, kills it.
func (h *HA) command(ctx context.Context, args ...string) *exec.Cmd {
	argv := append([]string{"pg_autoctl"}, args...)
	if os.Geteuid() == 0 {
		argv = append([]string{"runuser", "-u", "postgres", "--"}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = h.dir
	cmd.Env = []string{"PATH=" + h.bin + ":/usr/local/bin:/usr/bin:/bin", "HOME=" + h.dir, "LANG=C.UTF-8",
		"XDG_CONFIG_HOME=" + filepath.Join(h.dir, "config"), "XDG_DATA_HOME=" + filepath.Join(h.dir, "share"),
		"XDG_RUNTIME_DIR=" + filepath.Join(h.dir, "run")}
	return cmd
}

// autoctl runs one pg_autoctl command to its end.
func (h *HA) autoctl(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return h.command(ctx, args...).CombinedOutput()
}

// run starts `pg_autoctl run` for s in a process group of its own, so that
// a kill takes the keeper and its PostgreSQL together.
func (h *HA) run(s *haServer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Killed by killGroup, not by a context: it outlives the call.
	cmd := h.command(context.Background(), "run", "--pgdata", s.data)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	ownGroup(cmd)
	fmt.Fprintf(s.log, "--- chaos: pg_autoctl run %s at %s\n", s.name, time.Now().UTC().Format(time.RFC3339Nano))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("chaos: pg_autoctl run %s: %w", s.name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	return nil
}

// kill SIGKILLs s's whole process group and waits for its leader.
func (s *haServer) kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	killGroup(cmd)
	<-exited
	s.killPostmaster()
}

// killPostmaster makes sure s's PostgreSQL is dead too, and waits until
// its port refuses connections. It is in the keeper's process group and
// dies with it, but not always at once: a CI run saw a killed primary
// take a write 0.0 s after its kill and still be primary when its keeper
// came back. The postmaster's pid is the first line of postmaster.pid.
func (s *haServer) killPostmaster() {
	if s.data == "" {
		return
	}
	if b, err := os.ReadFile(filepath.Join(s.data, "postmaster.pid")); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		if pid, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && pid > 0 {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
	}
}

// tail returns the end of s's log, for error messages.
func (s *haServer) tail() string {
	b, _ := os.ReadFile(s.log.Name())
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// Port is the PostgreSQL port of data node i (0 or 1).
func (h *HA) Port(i int) int { return h.nodes[i].port }

// Name is data node i's name in pg_auto_failover.
func (h *HA) Name(i int) string { return h.nodes[i].name }

// URL is a connection string for database db naming both data nodes, for
// which pgx connects to whichever is the primary (target_session_attrs
// read-write), giving up on a host after connect_timeout.
func (h *HA) URL(db string) string { return h.url(db, "read-write") }

// ReadURL is URL for reads that may be served by a standby: the standby
// when one answers, else the primary.
func (h *HA) ReadURL(db string) string { return h.url(db, "prefer-standby") }

func (h *HA) url(db, attrs string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/%s?sslmode=disable&connect_timeout=2&target_session_attrs=%s",
		h.nodes[0].port, h.nodes[1].port, db, attrs)
}

// NodeURL is a connection string for database db on data node i alone.
func (h *HA) NodeURL(i int, db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=2", h.nodes[i].port, db)
}

// HAState is what the monitor says of one data node.
type HAState struct {
	Name     string
	Reported string
	Goal     string
}

// States returns the monitor's view of both data nodes, in node order.
func (h *HA) States(ctx context.Context) ([]HAState, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node ORDER BY nodename`)
	if err != nil {
		return nil, fmt.Errorf("chaos: ask the monitor: %w", err)
	}
	defer rows.Close()
	var out []HAState
	for rows.Next() {
		var s HAState
		if err := rows.Scan(&s.Name, &s.Reported, &s.Goal); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// WaitFor waits until data node i reports state and is assigned it (a
// lone node is "single").
func (h *HA) WaitFor(ctx context.Context, i int, state string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		states, err := h.States(ctx)
		for _, s := range states {
			if s.Name == h.nodes[i].name && s.Reported == state && s.Goal == state {
				return nil
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("chaos: %s did not become %s within %s (monitor: %v %v)", h.nodes[i].name, state, within, states, err)
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

// WaitSettled waits until one data node is primary and the other its
// secondary, and returns the primary's index.
func (h *HA) WaitSettled(ctx context.Context, within time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		states, err := h.States(ctx)
		primary, secondary := -1, -1
		for _, s := range states {
			for i, n := range h.nodes {
				if s.Name != n.name || s.Reported != s.Goal {
					continue
				}
				switch s.Reported {
				case "primary":
					primary = i
				case "secondary":
					secondary = i
				}
			}
		}
		if primary >= 0 && secondary >= 0 {
			return primary, nil
		}
		if ctx.Err() != nil {
			return -1, fmt.Errorf("chaos: no primary with a secondary within %s (monitor: %v %v)", within, states, err)
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

// Kill SIGKILLs data node i whole: its keeper and its PostgreSQL.
func (h *HA) Kill(i int) { h.nodes[i].kill() }

// Restart starts data node i's keeper again after a kill; pg_auto_failover
// then rebuilds it as a standby of the current primary (pg_rewind).
func (h *HA) Restart(i int) error { return h.run(h.nodes[i]) }

// Close kills every server of the set-up and removes its folder.
func (h *HA) Close() {
	if h.db != nil {
		h.db.Close()
	}
	for _, s := range append([]*haServer{h.monitor}, h.nodes[:]...) {
		if s != nil {
			s.kill()
			s.log.Close()
		}
	}
	os.RemoveAll(h.dir)
}

// Logs names the set-up's log files, for error messages.
func (h *HA) Logs() string { return filepath.Join(h.dir, "*.log") }
