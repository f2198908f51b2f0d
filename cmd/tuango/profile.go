package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
)

// armCPUProfile is a diagnostic for `tuango bench flash
// --server-cpu-profile`: when TUANGO_CPU_PROFILE names a file, SIGUSR1
// starts a CPU profile into it and SIGUSR2 (or the returned stop, at exit)
// ends and writes it, so that the profile covers exactly the phase being
// measured. Without the variable it does nothing.
func armCPUProfile(getenv func(string) string, stderr io.Writer) (stop func()) {
	path := getenv("TUANGO_CPU_PROFILE")
	if path == "" {
		return func() {}
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
	var mu sync.Mutex
	var f *os.File
	end := func() {
		mu.Lock()
		defer mu.Unlock()
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
			f = nil
		}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				if sig == syscall.SIGUSR2 {
					end()
					continue
				}
				mu.Lock()
				if f == nil {
					var err error
					if f, err = os.Create(path); err == nil {
						err = pprof.StartCPUProfile(f)
					}
					if err != nil {
						fmt.Fprintf(stderr, "tuango: TUANGO_CPU_PROFILE: %v\n", err)
						if f != nil {
							f.Close()
							f = nil
						}
					}
				}
				mu.Unlock()
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
		end()
	}
}
