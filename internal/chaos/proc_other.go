//go:build !linux

package chaos

import (
	"errors"
	"os/exec"
)

func guardChild(*exec.Cmd) {}

func signal(*exec.Cmd, string) {}

// supported reports whether the fault test can run here: it needs Linux's
// signals and parent-death signal.
func supported() error { return errors.New("chaos: the fault test runs on Linux only") }

func ownGroup(*exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}
