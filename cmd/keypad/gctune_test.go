package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: serve's collector settings apply unless the environment
// sets its own, which the runtime has already applied and which must stay.
func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })

	tuneGC(env{}.lookup)
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("GC percent = %d, want %d", got, serveGCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != serveMemoryLimit {
		t.Errorf("memory limit = %d, want %d", got, serveMemoryLimit)
	}

	tuneGC(env{"GOGC": "50", "GOMEMLIMIT": "1GiB"}.lookup)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, GC percent = %d, want it left at 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, memory limit = %d, want it left alone", got)
	}
}
