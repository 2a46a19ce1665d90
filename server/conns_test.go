package server

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestShutdownDropsUnusedConns opens a connection that sends nothing, as
// a browser's preconnect does, and shuts down with a deadline shorter
// than the 5 s net/http grants such connections: the shutdown must not
// wait for it. (Before the fix this failed every time: the cause of a
// flaky `keypad demo` test on a loaded machine.)
func TestShutdownDropsUnusedConns(t *testing.T) {
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, _ := startServer(t, cfg, Options{})
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The server accepts connections in order and tracks each before it
	// accepts the next: a request answered on a new connection shows the
	// unused one was accepted.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := fresh.Get(s.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with an unused connection open = %v, want nil", err)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the unused connection is still open after shutdown")
	}
}
