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

// readyz answers 200 when the store answers a ping and takes a write in
// time, and 503 when it does not or the server is shutting down, so a load
// balancer sends traffic elsewhere. A read-only or full database answers
// pings while every token request fails, hence the write. The body names
// the kind of failure; the driver's error goes to the log only.
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
	if err := s.store.CheckWritable(ctx); err != nil {
		s.log.WarnContext(r.Context(), "readiness check failed: store not writable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store not writable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
