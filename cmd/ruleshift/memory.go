package main

import (
	"os"
	"runtime/debug"
)

// limitMemory sets a soft memory limit sized to the input, unless the user
// set GOMEMLIMIT. The model of a parsed save file lives at about ten times
// the file's size; with the default GOGC the heap may grow to twice that
// before a collection, which made a 100,000-rule translate peak at 170-190
// MB. A limit of 17 times the input keeps it near 128 MB there at no cost
// in time, and scales with the input, so a large ruleset never makes the
// collector run without pause.
func limitMemory(inputBytes int) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(max(64<<20, 17*int64(inputBytes)))
}
