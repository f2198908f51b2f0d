package bench

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Where CPU time went, read from /proc (Linux). Times there are in clock
// ticks of 1/100 s (USER_HZ, fixed for /proc).
const ticksPerSecond = 100

func ticks(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * time.Second / ticksPerSecond
}

// procStats are a process's CPU time so far and its peak resident set.
type procStats struct {
	cpu     time.Duration
	peakRSS int64 // bytes
	kthread bool
}

// statFields returns the fields of /proc/<pid>/stat after the command
// name, which may itself hold spaces: f[0] is the state, f[6] the flags,
// f[11] utime and f[12] stime.
func statFields(pid int) ([]string, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	return f, nil
}

// readProcStats reads a process's CPU time (utime + stime) from
// /proc/<pid>/stat and its peak resident set (VmHWM) from
// /proc/<pid>/status.
func readProcStats(pid int) (procStats, error) {
	var ps procStats
	f, err := statFields(pid)
	if err != nil {
		return ps, err
	}
	const pfKthread = 0x00200000
	flags, _ := strconv.ParseUint(f[6], 10, 64)
	ps.cpu, ps.kthread = ticks(f[11])+ticks(f[12]), flags&pfKthread != 0
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ps, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return ps, fmt.Errorf("/proc/%d/status: VmHWM %q", pid, v)
			}
			ps.peakRSS = kb << 10
		}
	}
	return ps, nil
}

// pids lists the processes running now.
func pids() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// cpuSample is where the machine's CPU time has gone since boot.
type cpuSample struct {
	busy time.Duration // all but idle and iowait
	// kernel is interrupts, soft interrupts and kernel threads: work done
	// for whichever process caused it (disk flushes, loopback networking),
	// so it is not counted against other processes.
	kernel time.Duration
}

func sampleCPU() cpuSample {
	var s cpuSample
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	for i := 1; i < len(f) && i <= 8; i++ {
		switch i {
		case 4, 5: // idle, iowait
		case 6, 7: // irq, softirq
			s.busy += ticks(f[i])
			s.kernel += ticks(f[i])
		default:
			s.busy += ticks(f[i])
		}
	}
	for _, pid := range pids() {
		if ps, err := readProcStats(pid); err == nil && ps.kthread {
			s.kernel += ps.cpu
		}
	}
	return s
}

// userBusy is the CPU time user processes took between two samples.
func (s cpuSample) userBusy(since cpuSample) time.Duration {
	return (s.busy - since.busy) - (s.kernel - since.kernel)
}

// cpuOfPostgres sums the CPU time of the PostgreSQL processes working for
// database db on this machine: its backends (their command line names
// it) and the cluster's WAL writer, checkpointer and background writer.
// Backends that end between two readings take their time with them.
func cpuOfPostgres(db string) time.Duration {
	var total time.Duration
	for _, pid := range pids() {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		cl := string(cmdline)
		if !strings.Contains(cl, " "+db+" ") && !strings.HasSuffix(strings.TrimRight(cl, "\x00 "), "walwriter") &&
			!strings.HasSuffix(strings.TrimRight(cl, "\x00 "), "checkpointer") && !strings.HasSuffix(strings.TrimRight(cl, "\x00 "), "background writer") {
			continue
		}
		if ps, err := readProcStats(pid); err == nil {
			total += ps.cpu
		}
	}
	return total
}

// meter measures where the CPU went over the flash phase: the servers the
// bench started (none for --url), their PostgreSQL, the bench itself, and
// every other user process, which should be nobody.
type meter struct {
	srvs    []*server
	profile bool
	self    procStats
	servers []procStats
	pg      time.Duration
	machine cpuSample
}

// startMeter takes the first readings and, if profile is set, starts the
// first server's CPU profile (SIGUSR1; see cmd/tuango/profile.go).
func startMeter(srvs []*server, profile bool) (*meter, error) {
	m := &meter{srvs: srvs, profile: profile, machine: sampleCPU()}
	m.self, _ = readProcStats(os.Getpid())
	if len(srvs) == 0 {
		return m, nil
	}
	if db := srvs[0]; db.pgName != "" && isLocalDB(db.pgURL) {
		m.pg = cpuOfPostgres(db.pgName)
	}
	for _, srv := range srvs {
		ps, err := readProcStats(srv.pid())
		if err != nil {
			return nil, err
		}
		m.servers = append(m.servers, ps)
	}
	if profile {
		srvs[0].signal(syscall.SIGUSR1)
	}
	return m, nil
}

// stop takes the second readings into res, the servers' CPU summed and
// each one's in nodeCPU; phase is how long the flash phase lasted.
func (m *meter) stop(res *Result, phase time.Duration) (nodeCPU []float64, err error) {
	busy := sampleCPU().userBusy(m.machine).Seconds()
	if self, err := readProcStats(os.Getpid()); err == nil {
		res.BenchCPUSeconds = (self.cpu - m.self.cpu).Seconds()
	}
	others := busy - res.BenchCPUSeconds
	if len(m.srvs) > 0 {
		if m.profile {
			m.srvs[0].signal(syscall.SIGUSR2)
		}
		var total float64
		var peak int64
		for i, srv := range m.srvs {
			after, err := readProcStats(srv.pid())
			if err != nil {
				return nil, err
			}
			cpu := (after.cpu - m.servers[i].cpu).Seconds()
			nodeCPU = append(nodeCPU, cpu)
			total += cpu
			peak = max(peak, after.peakRSS)
		}
		res.ServerCPUSeconds, res.PeakRSSBytes = &total, &peak
		others -= total
		if db := m.srvs[0]; db.pgName != "" && isLocalDB(db.pgURL) {
			pg := (cpuOfPostgres(db.pgName) - m.pg).Seconds()
			res.DBCPUSeconds = &pg
			others -= pg
		}
	}
	if phase > 0 {
		res.OtherLoad = max(others, 0) / phase.Seconds() / float64(runtime.NumCPU())
	}
	return nodeCPU, nil
}

// isLocalDB reports whether a database URL names this machine.
func isLocalDB(dbURL string) bool {
	u, err := url.Parse(dbURL)
	if err != nil {
		return false
	}
	h := u.Hostname()
	return h == "127.0.0.1" || h == "localhost" || h == "::1" || h == ""
}
