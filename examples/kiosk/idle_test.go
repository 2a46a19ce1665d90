package kiosk

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestStillHere: "More time" restarts the visit's idle timer, for the
// script (204, or 410 once the visit is gone) and for the script-free form
// (back to the screen it came from).
func TestStillHere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, setup{kiosk: func(c *Config) { c.IdleTimeout = 90 * time.Second }})
	b := e.browser(t)
	b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})

	e.clock.Advance(80 * time.Second)
	if status, _ := b.post("/still-here", nil); status != http.StatusNoContent {
		t.Fatalf("script's More time = %d, want 204", status)
	}
	e.clock.Advance(80 * time.Second) // 160 s since the screen, 80 since More time
	if b.post("/still-here", url.Values{"back": {"/channel"}}); b.url != "/channel" {
		t.Fatalf("form's More time led to %s, want /channel with the visit kept", b.url)
	}
	if status, _ := b.post("/still-here", url.Values{"back": {"https://evil.example/"}}); status != http.StatusBadRequest {
		t.Errorf("More time to a foreign place = %d, want 400", status)
	}

	e.clock.Advance(90 * time.Second)
	if status, _ := b.post("/still-here", nil); status != http.StatusGone {
		t.Errorf("script's More time after the timeout = %d, want 410", status)
	}
	if b.post("/still-here", url.Values{"back": {"/channel"}}); b.url != "/?m=idle" {
		t.Errorf("form's More time after the timeout led to %s, want /?m=idle", b.url)
	}
}
