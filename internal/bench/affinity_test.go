package bench

import (
	"os/exec"
	"runtime"
	"slices"
	"testing"
)

func TestParseCPUs(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	for _, c := range []struct {
		in   string
		want []int
	}{
		{"0", []int{0}},
		{"1", []int{1}},
		{"0-1", []int{0, 1}},
		{"1,0", []int{0, 1}},
	} {
		got, err := ParseCPUs(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseCPUs(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "a", "1-0", "-1", "0,0", "0-0,0", "99999"} {
		if got, err := ParseCPUs(in); err == nil {
			t.Errorf("ParseCPUs(%q) = %v, want an error", in, got)
		}
	}
}

func TestDefaultCPUs(t *testing.T) {
	for _, c := range []struct {
		n              int
		server, client string
	}{{1, "", ""}, {2, "0", "1"}, {4, "0-1", "2-3"}, {5, "0-1", "2-4"}} {
		if s, cl := DefaultCPUs(c.n); s != c.server || cl != c.client {
			t.Errorf("DefaultCPUs(%d) = %q, %q; want %q, %q", c.n, s, cl, c.server, c.client)
		}
	}
}

// A process started pinned runs on those CPUs only, from its start.
func TestStartPinned(t *testing.T) {
	if runtime.NumCPU() < 2 || runtime.GOOS != "linux" {
		t.Skip("needs Linux and 2 CPUs")
	}
	cmd := exec.Command("sleep", "30")
	if err := startPinned(cmd, []int{1}); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	got, err := affinityOf(cmd.Process.Pid)
	if err != nil || !slices.Equal(got, []int{1}) {
		t.Errorf("the CPUs of a process started on CPU 1 = %v, %v; want [1]", got, err)
	}
	mine, err := affinityOf(0)
	if err != nil || len(mine) < 2 {
		t.Errorf("this process's CPUs after starting a pinned child = %v, %v; want all of them still", mine, err)
	}
}
