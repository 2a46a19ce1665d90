package main

import (
	"net/url"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	e := migrated(t)
	s := startServe(t, e)
	u, err := url.Parse(s.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, e, "", "healthcheck", "--url", s.srv.URL()+"/readyz"); !strings.Contains(out, "healthy") {
		t.Errorf("healthcheck /readyz printed %q", out)
	}
	// Without --url: /healthz at the configured addr, 0.0.0.0 meaning
	// this host.
	byAddr := e.with("KEYPAD_ADDR", "0.0.0.0:"+u.Port(), "KEYPAD_ISSUER", "https://auth.example.com")
	if out := mustRun(t, byAddr, "", "healthcheck"); !strings.Contains(out, "/healthz answered 200") {
		t.Errorf("healthcheck by addr printed %q", out)
	}
	if _, err := run(t, e, "", "healthcheck", "--url", s.srv.URL()+"/no-such-page"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("healthcheck of a 404 = %v, want unhealthy", err)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, byAddr, "", "healthcheck"); err == nil || !strings.Contains(err.Error(), "unhealthy") {
		t.Errorf("healthcheck of a stopped keypad = %v, want unhealthy", err)
	}
}
