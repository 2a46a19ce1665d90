package server

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/keypadauth/keypad/admin"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/scim"
)

// listenAdmin binds the admin listener of metrics_addr, or takes the one
// the caller passed. It returns nil when metrics are off.
//
// /metrics lives here rather than on the public listener because its
// counters describe individual requests: read before and after an OTP
// send, a delivery counter tells a real customer from a decoy.
func listenAdmin(cfg config.Config, ln net.Listener) (net.Listener, error) {
	if ln != nil {
		return ln, nil
	}
	addr := cfg.MetricsListenAddr()
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (metrics_addr; set another, or off): %w", addr, err)
	}
	return ln, nil
}

// adminServer serves GET /metrics, the management interfaces (the admin
// API, registration's initial access tokens and SCIM) and, with the pprof
// setting, Go's profiler (pprof.go). The management requests go through
// the public listener's middleware (request IDs, access log, metrics,
// panic recovery); scrapes and profiles do not.
func (s *Server) adminServer(ids *requestIDs) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	api := http.NewServeMux()
	s.adminAPI.Register(api)
	s.registerAdmin(api)
	mux.Handle(admin.Prefix, &instrument{next: api, log: s.log, access: s.access, metrics: s.metrics, ids: ids})
	if s.scim.admin != nil {
		mux.Handle(scim.Prefix, &instrument{next: s.scim.admin, log: s.log, access: s.access, metrics: s.metrics, ids: ids})
	}
	wt := writeTimeout
	if s.cfg.PProf {
		handlePProf(mux)
		wt = pprofWriteTimeout
	}
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      wt,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}
