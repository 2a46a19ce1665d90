package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPProf: with pprof on, the admin listener serves the profiler (a
// heap profile is a gzip-compressed protobuf; a one-second CPU profile
// comes back) and the public listener does not; off, the admin listener
// has no profiler either.
func TestPProf(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	cfg.PProf = true
	s, _ := startServer(t, cfg, Options{})
	admin := strings.TrimSuffix(s.MetricsURL(), "/metrics")
	for _, path := range []string{"/debug/pprof/heap", "/debug/pprof/profile?seconds=1"} {
		resp, err := http.Get(admin + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("admin GET %s = %d: %s", path, resp.StatusCode, body)
		}
		if _, err := gzip.NewReader(bytes.NewReader(body)); err != nil {
			t.Errorf("admin GET %s is not a gzip-compressed profile: %v", path, err)
		}
	}
	if status, _ := get(t, s.URL()+"/debug/pprof/heap"); status != http.StatusNotFound {
		t.Errorf("public GET /debug/pprof/heap = %d, want 404", status)
	}

	cfg = testConfig(t)
	cfg.AutoMigrate = true
	off, _ := startServer(t, cfg, Options{})
	if status, _ := get(t, strings.TrimSuffix(off.MetricsURL(), "/metrics")+"/debug/pprof/heap"); status != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/heap with pprof off = %d, want 404", status)
	}
}

// TestPProfLoopbackOnly: the profiler's handlers refuse a peer that is
// not on this machine, whatever listener they sit behind.
func TestPProfLoopbackOnly(t *testing.T) {
	mux := http.NewServeMux()
	handlePProf(mux)
	for addr, want := range map[string]int{"192.0.2.7:5555": http.StatusForbidden, "[2001:db8::1]:80": http.StatusForbidden,
		"127.0.0.1:5555": http.StatusOK, "[::1]:80": http.StatusOK} {
		req := httptest.NewRequest("GET", "/debug/pprof/heap", nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("GET /debug/pprof/heap from %s = %d, want %d", addr, rec.Code, want)
		}
	}

}
