package main

import "runtime/debug"

// defaultGCPercent is the garbage collector's target when GOGC is not
// set: the heap may grow to five times what is live before a collection,
// instead of twice. A node's live heap is a few tens of MiB, so this costs
// tens of MiB of memory and saves about a sixth of the server's CPU in the
// flash bench (docs/benchmarks.md). GOMEMLIMIT, when set, still caps the
// heap: deploy/tuango.env sets it.
const defaultGCPercent = 400

// tuneGC applies defaultGCPercent unless GOGC says otherwise.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
