package bench

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

func cpuSet(cpus []int) *unix.CPUSet {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	return &set
}

// pinSelf confines every thread of this process to cpus, and the Go
// scheduler to as many threads: threads started later inherit the mask
// of the thread that starts them, so a pass that finds every thread
// already pinned is the last.
func pinSelf(cpus []int) error {
	set := cpuSet(cpus)
	runtime.GOMAXPROCS(len(cpus))
	for pass := 0; pass < 10; pass++ {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Errorf("bench: pin the load generator: %w", err)
		}
		changed := false
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			var now unix.CPUSet
			if unix.SchedGetaffinity(tid, &now) == nil && now == *set {
				continue
			}
			if err := unix.SchedSetaffinity(tid, set); err != nil && err != unix.ESRCH { // ESRCH: the thread has exited
				return fmt.Errorf("bench: pin the load generator's thread %d to CPUs %v: %w", tid, cpus, err)
			}
			changed = true
		}
		if !changed {
			return nil
		}
	}
	return nil
}

// startPinned starts cmd confined to cpus from its first instruction: it
// is forked from an OS thread of its own whose mask is cpus, and a child
// inherits the mask of the thread that forks it (so the Go runtime in the
// child also sizes GOMAXPROCS to cpus). The thread is thrown away after.
func startPinned(cmd *exec.Cmd, cpus []int) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		if err := unix.SchedSetaffinity(0, cpuSet(cpus)); err != nil {
			errc <- fmt.Errorf("bench: pin the server to CPUs %v: %w", cpus, err)
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}

// affinityOf is the CPUs a process may run on, for the report.
func affinityOf(pid int) ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(pid, &set); err != nil {
		return nil, err
	}
	var cpus []int
	for c := range runtime.NumCPU() {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
