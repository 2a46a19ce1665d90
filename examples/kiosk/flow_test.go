package kiosk

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/examples/energy"
)

func TestHappyPath(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)

	_, page := b.get("/")
	mustSee(t, page, "Your street address", `action="/lookup"`)

	_, page = b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
	if b.url != "/channel" {
		t.Fatalf("after lookup at %s, want /channel", b.url)
	}
	mustSee(t, page, "Text (•••) •••-4821", "Email h•••@e•••.com")
	e.keypad.with(func() {
		if got := e.keypad.lookups[0]; got.Get("scope") != "usage:read" || got.Has("identifier_type") {
			t.Errorf("lookup form = %v, want scope usage:read and no identifier_type", got)
		}
	})

	_, page = b.post("/send", url.Values{"channel": {"ch-sms"}})
	if b.url != "/code" {
		t.Fatalf("after send at %s, want /code", b.url)
	}
	mustSee(t, page, "6-digit code by text to (•••) •••-4821", "10 minutes",
		`inputmode="numeric"`, `autocomplete="one-time-code"`, `maxlength="6"`)

	_, page = b.post("/verify", url.Values{"otp": {e.keypad.lastCode()}})
	if b.url != "/audit" {
		t.Fatalf("after verify at %s, want /audit; page:\n%s", b.url, page)
	}
	// The audit shows Heather's real numbers: the last 12 of the 13
	// months the energy API generates for her.
	months := energy.GenerateUsage(42, "100200300", 13, dataEnd).Months()[1:]
	var wh int64
	var cost float64
	for _, m := range months {
		wh += m.Wh
		cost += energy.Cost(m.Wh, 0.16)
	}
	slices.SortFunc(months, func(a, b energy.Month) int { return int(b.Wh - a.Wh) })
	mustSee(t, page, number(float64(wh)/1000)+" kWh", money(cost, "USD"),
		"<strong>"+months[0].Start.Format("January")+"</strong>",
		"<strong>"+months[1].Start.Format("January")+"</strong>",
		"<svg", "Switch to LED bulbs", "Rooftop solar", "Charging an electric car", `action="/done"`)
	tok := e.keypad.tokens[0]
	if strings.Contains(page, tok) {
		t.Error("the access token appears in the audit page")
	}

	_, page = b.post("/done", nil)
	if b.url != "/?m=done" {
		t.Errorf("after done at %s, want /?m=done", b.url)
	}
	mustSee(t, page, "forgotten")
	if n := e.k.visits.len(); n != 0 {
		t.Errorf("%d visits kept after Done, want 0", n)
	}
	e.keypad.with(func() {
		if !slices.Equal(e.keypad.revoked, []string{tok}) {
			t.Errorf("revoked %d tokens, want the visit's one", len(e.keypad.revoked))
		}
	})
	if b.get("/audit"); b.url != "/" {
		t.Errorf("audit after Done lands on %s, want /", b.url)
	}
}

func TestAmbiguousAddress(t *testing.T) {
	for _, tt := range []struct {
		name, askField, wantLabel, wantType string
	}{
		{"OKFromWords", "", "account number", "account"},
		{"OKFromField", "phone", "phone number", "phone"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.keypad.askField = tt.askField
			b := e.browser(t)
			_, page := b.post("/lookup", url.Values{"identifier": {"9 Shared Lane"}})
			mustSee(t, page, "More than one account uses this address", "type your "+tt.wantLabel,
				`name="identifier_type" value="`+tt.wantType+`"`)
		})
	}
	t.Run("OKAccountFindsOne", func(t *testing.T) {
		e := newEnv(t, nil)
		b := e.browser(t)
		b.post("/lookup", url.Values{"identifier": {"9 Shared Lane"}})
		_, page := b.post("/lookup", url.Values{"identifier": {"100200301"}, "identifier_type": {"account"}})
		if b.url != "/channel" {
			t.Fatalf("at %s, want /channel", b.url)
		}
		mustSee(t, page, "Text (•••) •••-1234")
		e.keypad.with(func() {
			if got := e.keypad.lookups[1]; got.Get("identifier_type") != "account" || got.Get("identifier") != "100200301" {
				t.Errorf("retry lookup = %v, want the account number with identifier_type=account", got)
			}
		})
	})
}

func TestUnknownAddress(t *testing.T) {
	t.Run("OKDecoy", func(t *testing.T) {
		e := newEnv(t, nil)
		b := e.browser(t)
		_, page := b.post("/lookup", url.Values{"identifier": {"1 Nowhere Rd"}})
		if b.url != "/channel" {
			t.Fatalf("a decoy lookup lands on %s, want /channel like any other", b.url)
		}
		mustSee(t, page, "Text (•••) •••-")
	})
	t.Run("ErrExplicit", func(t *testing.T) {
		e := newEnv(t, nil)
		e.keypad.explicitUnknown = true
		b := e.browser(t)
		_, page := b.post("/lookup", url.Values{"identifier": {"1 Nowhere Rd"}})
		mustSee(t, page, "We couldn&#39;t find an account for “1 Nowhere Rd”", `value="1 Nowhere Rd"`)
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		e := newEnv(t, nil)
		_, page := e.browser(t).post("/lookup", url.Values{"identifier": {"  "}})
		mustSee(t, page, "Please type your street address")
		if len(e.keypad.lookups) != 0 {
			t.Error("an empty address was sent to keypad")
		}
	})
}

func TestWrongCode(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	b.atCode()

	_, page := b.post("/verify", url.Values{"otp": {"12345"}})
	mustSee(t, page, "Please type the 6 digits")
	_, page = b.post("/verify", url.Values{"otp": {"000000"}})
	mustSee(t, page, "That code isn&#39;t right", "You have 4 tries left.")
	for range 3 {
		_, page = b.post("/verify", url.Values{"otp": {"000000"}})
	}
	mustSee(t, page, "You have 1 try left.")
	_, page = b.post("/verify", url.Values{"otp": {"000000"}})
	mustSee(t, page, "Too many wrong codes", `href="/"`)
	if b.get("/code"); b.url != "/" {
		t.Errorf("code screen after too many tries lands on %s, want the start", b.url)
	}
}

func TestExpiredCode(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	b.atCode()
	e.keypad.with(func() {
		for _, s := range e.keypad.sessions {
			s.expired = true
		}
	})
	_, page := b.post("/verify", url.Values{"otp": {e.keypad.lastCode()}})
	mustSee(t, page, "Your code has expired", "start over")
}

func TestResend(t *testing.T) {
	e := newEnv(t, nil)
	e.keypad.cooldown = 45 * time.Second // stricter than the resend_after it announces
	b := e.browser(t)
	b.atCode()

	t.Run("ErrTooSoonKioskWaits", func(t *testing.T) {
		e.clock.Add(10 * time.Second)
		_, page := b.post("/send", url.Values{"channel": {"ch-sms"}})
		mustSee(t, page, "You can ask for a new code in 20 seconds.", `name="otp"`)
		if got := len(e.keypad.codes); got != 1 {
			t.Errorf("keypad sent %d codes, want 1: the kiosk should not have asked", got)
		}
	})
	t.Run("Err429RetryAfter", func(t *testing.T) {
		e.clock.Add(21 * time.Second) // 31 s after the first send
		_, page := b.post("/send", url.Values{"channel": {"ch-sms"}})
		mustSee(t, page, "You can ask for a new code in 14 seconds.")
	})
	t.Run("OK", func(t *testing.T) {
		e.clock.Add(14 * time.Second)
		first := e.keypad.lastCode()
		_, page := b.post("/send", url.Values{"channel": {"ch-sms"}})
		if b.url != "/code" || e.keypad.lastCode() == first {
			t.Fatalf("at %s with code %s, want /code and a new code; page:\n%s", b.url, e.keypad.lastCode(), page)
		}
		b.post("/verify", url.Values{"otp": {e.keypad.lastCode()}})
		if b.url != "/audit" {
			t.Errorf("the new code lands on %s, want /audit", b.url)
		}
	})
}

func TestDeliveryFailure(t *testing.T) {
	e := newEnv(t, nil)
	e.keypad.failChannel["ch-email"] = true
	b := e.browser(t)
	b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
	_, page := b.post("/send", url.Values{"channel": {"ch-email"}})
	mustSee(t, page, "We couldn&#39;t send a message to h•••@e•••.com", "Text (•••) •••-4821")
	if b.post("/send", url.Values{"channel": {"ch-sms"}}); b.url != "/code" {
		t.Errorf("the other channel lands on %s, want /code", b.url)
	}
}

func TestSendErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		state func(*fakeOTP)
		want  string
	}{
		{"ErrExpiredSession", func(s *fakeOTP) { s.expired = true }, "This visit has timed out"},
		{"ErrTooManySends", func(s *fakeOTP) { s.sends = 3 }, "We can&#39;t send more codes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			b := e.browser(t)
			b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
			e.keypad.with(func() {
				for _, s := range e.keypad.sessions {
					tt.state(s)
				}
			})
			_, page := b.post("/send", url.Values{"channel": {"ch-sms"}})
			mustSee(t, page, tt.want)
			if e.k.visits.len() != 0 {
				t.Error("the visit was kept")
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	t.Run("ErrKeypad", func(t *testing.T) {
		e := newEnv(t, nil)
		e.keypad.srv.Close()
		status, page := e.browser(t).post("/lookup", url.Values{"identifier": {"123 Main Street"}})
		if status != http.StatusBadGateway {
			t.Errorf("status %d, want 502", status)
		}
		mustSee(t, page, "We can&#39;t reach the utility right now")
	})
	t.Run("ErrEnergyAPI", func(t *testing.T) {
		e := newEnv(t, nil)
		b := e.browser(t)
		b.atCode()
		e.energy.Close()
		_, page := b.post("/verify", url.Values{"otp": {e.keypad.lastCode()}})
		mustSee(t, page, "We can&#39;t reach the utility right now", `href="/audit"`)
	})
	t.Run("ErrEnergyRefuses", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Scope = "profile" })
		b := e.browser(t)
		b.atCode()
		_, page := b.post("/verify", url.Values{"otp": {e.keypad.lastCode()}})
		mustSee(t, page, "We can&#39;t read your usage")
		if e.k.visits.len() != 0 {
			t.Error("the visit was kept")
		}
	})
	t.Run("ErrMisconfigured", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.ClientSecret = "wrong" })
		_, page := e.browser(t).post("/lookup", url.Values{"identifier": {"123 Main Street"}})
		mustSee(t, page, "This kiosk is not set up correctly")
	})
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.IdleTimeout = 90 * time.Second })
	b := e.browser(t)
	_, page := b.post("/lookup", url.Values{"identifier": {"123 Main Street"}})
	mustSee(t, page, `<meta http-equiv="refresh" content="90; url=/?m=idle">`)

	e.clock.Add(89 * time.Second)
	if b.get("/channel"); b.url != "/channel" {
		t.Fatalf("after 89 s idle at %s, want /channel", b.url)
	}
	e.clock.Add(89 * time.Second) // each request restarts the timer
	if b.get("/channel"); b.url != "/channel" {
		t.Fatalf("89 s after the last request at %s, want /channel", b.url)
	}
	e.clock.Add(90 * time.Second)
	_, page = b.get("/channel")
	if b.url != "/?m=idle" {
		t.Fatalf("after 90 s idle at %s, want /?m=idle", b.url)
	}
	mustSee(t, page, "We started over")
	if strings.Contains(page, "http-equiv") {
		t.Error("the start screen refreshes itself")
	}
	if n := e.k.visits.len(); n != 0 {
		t.Errorf("%d visits kept after the timeout, want 0", n)
	}
}

func TestPagePolicy(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	req, _ := http.NewRequest("POST", e.kiosk.URL+"/lookup", strings.NewReader("identifier=123+Main+Street"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP = %q, want default-src 'none' and no script source", csp)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	var cookie *http.Cookie
	for _, c := range resp.Request.Response.Cookies() {
		cookie = c
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || len(cookie.Value) < 43 {
		t.Errorf("visit cookie = %+v, want HttpOnly, SameSite=Strict, 256 bits", cookie)
	}
	for _, path := range []string{"/", "/channel"} {
		if _, page := b.get(path); strings.Contains(page, "<script") || strings.Contains(page, "style=") {
			t.Errorf("%s has inline script or style", path)
		}
	}

	t.Run("ErrCrossOrigin", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.kiosk.URL+"/done", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST: status %d, want 403", resp.StatusCode)
		}
	})
}

func TestNew(t *testing.T) {
	ok := Config{Issuer: "http://127.0.0.1:1", ClientID: "k", ClientSecret: "s", EnergyAPI: "http://127.0.0.1:2"}
	if _, err := New(ok); err != nil {
		t.Fatalf("New: %v", err)
	}
	for name, mod := range map[string]func(*Config){
		"ErrNoIssuer":    func(c *Config) { c.Issuer = "" },
		"ErrNoSecret":    func(c *Config) { c.ClientSecret = "" },
		"ErrRelativeAPI": func(c *Config) { c.EnergyAPI = "/api" },
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			mod(&c)
			if _, err := New(c); err == nil {
				t.Error("no error")
			}
		})
	}
}
