package server

import (
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofWriteTimeout is the admin listener's write timeout when it serves
// the profiler: a CPU profile or an execution trace is written after the
// seconds it records (?seconds=, 30 by default), and net/http/pprof
// refuses a duration the timeout would cut short.
const pprofWriteTimeout = 10 * time.Minute

// handlePProf adds Go's profiler (net/http/pprof) to the admin mux, for
// the pprof setting. config.Validate already requires a loopback
// metrics_addr; each handler also answers only loopback peers, so a
// listener passed in by a caller (Options.MetricsListener) or a proxy in
// front of it cannot expose profiles, which show memory contents such as
// request data.
func handlePProf(mux *http.ServeMux) {
	for path, h := range map[string]http.HandlerFunc{
		"/debug/pprof/":        pprof.Index, // and the named profiles: heap, goroutine, allocs, block, mutex, ...
		"/debug/pprof/cmdline": pprof.Cmdline,
		"/debug/pprof/profile": pprof.Profile,
		"/debug/pprof/symbol":  pprof.Symbol,
		"/debug/pprof/trace":   pprof.Trace,
	} {
		mux.Handle(path, loopbackOnly(h))
	}
}

// loopbackOnly answers 403 to requests from anywhere but this machine.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			http.Error(w, "the profiler answers only on loopback", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
