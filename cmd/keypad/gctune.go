package main

import (
	"os"
	"runtime/debug"
)

// The garbage collector's settings for a long-running server (serve and
// demo), unless the environment sets GOGC or GOMEMLIMIT itself.
const (
	// serveGCPercent lets the heap grow to five times what is live before
	// a collection, instead of twice. A serving keypad keeps little live
	// (about 7 MB under load: the caches hold clients, not tokens), and
	// each request allocates a few kilobytes, so at Go's default it
	// collected several times a second. Black-box, in alternated runs,
	// JWT tokens on SQLite went from 6,955–7,806 to 8,584–9,284 a second
	// (docs/performance.md).
	serveGCPercent = 400
	// serveMemoryLimit bounds the Go heap whatever serveGCPercent allows:
	// nearer it, the collector runs more often instead. It sits well
	// under the deployment manifests' 512 MiB cap, beside SQLite's page
	// caches (72 MiB on 2 cores), which are outside it
	// (docs/performance.md, SQLite: stalls and memory).
	serveMemoryLimit = 256 << 20
)

// tuneGC applies the server's collector settings, leaving any that the
// environment sets (the Go runtime has already read those).
func tuneGC(lookup func(string) (string, bool)) {
	if _, ok := lookup("GOGC"); !ok {
		debug.SetGCPercent(serveGCPercent)
	}
	if _, ok := lookup("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}

// tuneGCFromEnv is tuneGC on the process's own environment: the binary's
// Main.TuneGC.
func tuneGCFromEnv() { tuneGC(os.LookupEnv) }
