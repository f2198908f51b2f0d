//go:build !linux

package bench

import (
	"errors"
	"os/exec"
)

var errNoAffinity = errors.New("bench: pinning to CPUs needs Linux; run with --server-cpus '' --client-cpus ''")

func pinSelf([]int) error                { return errNoAffinity }
func startPinned(*exec.Cmd, []int) error { return errNoAffinity }
func affinityOf(int) ([]int, error)      { return nil, errNoAffinity }
