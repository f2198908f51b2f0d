package chaos

import (
	"os/exec"
	"syscall"
)

// guardChild makes the kernel kill a node if the fault test itself dies, so
// that no tuango process outlives the run that started it.
func guardChild(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

var signals = map[string]syscall.Signal{"kill": syscall.SIGKILL, "stop": syscall.SIGSTOP, "cont": syscall.SIGCONT, "term": syscall.SIGTERM}

// signal sends the named signal to a node's process.
func signal(cmd *exec.Cmd, name string) {
	if cmd != nil && cmd.Process != nil {
		cmd.Process.Signal(signals[name])
	}
}

// supported reports whether the fault test can run here.
func supported() error { return nil }

// ownGroup starts cmd in a process group of its own, so that killGroup
// takes it and every process it starts.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup SIGKILLs cmd's process group.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
