package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestLogBufferShutdownLosesNothing serves requests with the server's own
// buffered logger and shuts down: every access log line, and the final
// "keypad stopped", reach the writer.
func TestLogBufferShutdownLosesNothing(t *testing.T) {
	out := &syncBuffer{}
	cfg := testConfig(t)
	cfg.AutoMigrate = true
	s, err := New(context.Background(), cfg, Options{Stderr: out})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	const n = 50
	for range n {
		if code, _ := get(t, s.URL()+"/.well-known/oauth-authorization-server"); code != http.StatusOK {
			t.Fatalf("metadata: status %d", code)
		}
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	logs := out.String()
	if got := strings.Count(logs, "msg=request"); got != n {
		t.Errorf("%d access log lines after shutdown, want %d:\n%s", got, n, logs)
	}
	if !strings.Contains(logs, "keypad stopped") {
		t.Errorf("no \"keypad stopped\" line after shutdown:\n%s", logs)
	}
}

// TestLogBufferWarningsAtOnce: a warning is written through at once,
// with whatever was buffered before it; an info line waits for a flush.
func TestLogBufferWarningsAtOnce(t *testing.T) {
	out := &syncBuffer{}
	b := &logBuffer{w: newBufWriter(out)} // no periodic flush
	log := slog.New(flushingHandler{slog.NewTextHandler(b, nil), b})
	log.Info("first")
	if got := out.String(); got != "" {
		t.Fatalf("info line written before a flush: %q", got)
	}
	log.Warn("second")
	if got := out.String(); !strings.Contains(got, "msg=first") || !strings.Contains(got, "msg=second") {
		t.Errorf("after a warning the writer holds %q, want both lines", got)
	}
}
