package server

import (
	"context"
	"net/http"
)

// healthz answers 200 while the process runs: a liveness probe that
// restarts keypad only when it is truly stuck, never because the database
// is briefly away.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the store answers a ping in time, and 503 when
// it does not or the server is shutting down, so a load balancer sends
// traffic elsewhere. The reason goes to the log, not to the caller.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "readiness check failed: store unreachable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
