package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// TestDevOutbox checks the dev outbox pages: absent outside dev mode;
// in dev mode newest first, the code found and highlighted, a strict CSP.
func TestDevOutbox(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

	t.Run("ErrNotInProduction", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.AutoMigrate = true
		s, _ := startServer(t, cfg, Options{})
		for _, path := range []string{"/dev/outbox", "/dev/outbox.json", "/dev/outbox.css"} {
			if code, _ := get(t, s.URL()+path); code != http.StatusNotFound {
				t.Errorf("GET %s without dev = %d, want 404", path, code)
			}
		}
	})

	cfg := testConfig(t)
	cfg.AutoMigrate, cfg.Dev = true, true
	s, _ := startServer(t, cfg, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	for _, m := range []*keypad.OutboxMessage{
		{Time: now.Add(-2 * time.Minute), Channel: "email", To: "h@example.com", Subject: "Your code for Bright Audits",
			Body: "Hello,\n\n123456 is your code to let Bright Audits <read> your usage.\nCall +14155550123 if in doubt."},
		{Time: now.Add(-10 * time.Second), Channel: "sms", To: "+14155550142", Body: "482193 is your code to let Bright Audits read your energy usage."},
	} {
		if err := s.store.AddOutboxMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("JSON", func(t *testing.T) {
		code, body := get(t, s.URL()+"/dev/outbox.json")
		var got struct{ Messages []OutboxMessage }
		if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil {
			t.Fatalf("GET /dev/outbox.json = %d %s", code, body)
		}
		if len(got.Messages) != 2 {
			t.Fatalf("got %d messages, want 2: %s", len(got.Messages), body)
		}
		first, second := got.Messages[0], got.Messages[1]
		if first.Channel != "sms" || first.To != "+14155550142" || first.Code != "482193" {
			t.Errorf("newest message = %+v, want the text to +14155550142 with code 482193", first)
		}
		if second.Channel != "email" || second.Subject != "Your code for Bright Audits" || second.Code != "123456" {
			t.Errorf("older message = %+v, want the email with code 123456 (not a piece of the phone number)", second)
		}
	})
	t.Run("Limit", func(t *testing.T) {
		code, body := get(t, s.URL()+"/dev/outbox.json?limit=1")
		if code != http.StatusOK || strings.Count(body, `"id"`) != 1 {
			t.Errorf("GET /dev/outbox.json?limit=1 = %d %s, want one message", code, body)
		}
		if code, body := get(t, s.URL()+"/dev/outbox.json?limit=0"); code != http.StatusBadRequest || !strings.Contains(body, "use a number from 1 to 500") {
			t.Errorf("GET /dev/outbox.json?limit=0 = %d %s, want 400 saying what is allowed", code, body)
		}
	})
	t.Run("Page", func(t *testing.T) {
		resp, err := http.Get(s.URL() + "/dev/outbox")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body := string(raw)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("Content-Security-Policy = %q, want default-src 'none' and no script", csp)
		}
		for _, want := range []string{
			`<meta http-equiv="refresh" content="3">`,
			`<p class="bubble"><mark class="code">482193</mark> is your code`,
			`<mark class="code">123456</mark> is your code to let Bright Audits &lt;read&gt;`,
			"10 s ago", "2 min ago", `<time datetime="2030-01-01T11:59:50Z">`,
			"Text to <strong>&#43;14155550142</strong>", // html/template escapes "+"
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q:\n%s", want, body)
			}
		}
		if strings.Index(body, "482193") > strings.Index(body, "123456") {
			t.Error("the page does not show the newest message first")
		}
		if strings.Contains(body, "<script") {
			t.Error("the page has a script")
		}
	})
	t.Run("Stylesheet", func(t *testing.T) {
		if code, body := get(t, s.URL()+"/dev/outbox.css"); code != http.StatusOK || !strings.Contains(body, ".bubble") {
			t.Errorf("GET /dev/outbox.css = %d, want the stylesheet", code)
		}
	})
}

func TestOutboxMessageLink(t *testing.T) {
	m := NewOutboxMessage(&keypad.OutboxMessage{Body: "Kiosk asks to read your bills. Code 4821. Approve or deny: http://127.0.0.1:8080/ciba?t=AAAAAAAAAAAAAAAAAAAAAA (10 minutes; not you? ignore this)"},
		OutboxCodePattern(6))
	if m.Link != "http://127.0.0.1:8080/ciba?t=AAAAAAAAAAAAAAAAAAAAAA" || m.Code != "" {
		t.Errorf("link %q, code %q; want the approval link and no code", m.Link, m.Code)
	}
	if m := NewOutboxMessage(&keypad.OutboxMessage{Body: "123456 is your code"}, OutboxCodePattern(6)); m.Link != "" {
		t.Errorf("a code message has link %q", m.Link)
	}
}
