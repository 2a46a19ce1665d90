package web_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/web"
)

const wantCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	e.device("WDJBMJHT", 10*time.Minute)
	b := e.browser()
	pages := []response{
		b.get("/device"),
		b.get("/device?user_code=WDJBMJHT"),
		b.enterCode("nope"),
		b.get("/login"),
		b.get("/consent"),
		b.get("/no/such/page"),
		b.get("/logout"),
		b.get("/device/qr?user_code=WDJBMJHT"),
	}
	for _, r := range pages {
		name := r.Request.Method + " " + r.Request.URL.String()
		if got := r.Header.Get("Content-Security-Policy"); got != wantCSP {
			t.Errorf("%s: CSP = %q, want %q", name, got, wantCSP)
		}
		if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy = %q, want no-referrer", name, got)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control = %q, want no-store", name, got)
		}
	}
}

var sessionValue = regexp.MustCompile(`^kp_ss_[A-Za-z0-9_-]{43}$`) // 256 bits, base64url

func TestSessionCookie(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := newEnv(t)
		r := e.browser().enterCode("WDJBMJHT") // starts a session
		var c *http.Cookie
		for _, x := range r.Cookies() {
			if x.Name == web.SessionCookie {
				c = x
			}
		}
		if c == nil {
			t.Fatalf("no %s cookie in %v", web.SessionCookie, r.Header["Set-Cookie"])
		}
		if !sessionValue.MatchString(c.Value) {
			t.Fatalf("cookie value %q is not kp_ss_ + 256 random bits", c.Value)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
			t.Fatalf("cookie = HttpOnly:%v SameSite:%v Path:%q Secure:%v, want HttpOnly, Lax, /, not Secure on http",
				c.HttpOnly, c.SameSite, c.Path, c.Secure)
		}
		// The store knows the session by hash only.
		if _, err := e.store.GetSession(context.Background(), keypad.SecretHash(c.Value), e.clock.Now()); err != nil {
			t.Fatalf("session by hash: %v", err)
		}
	})
	t.Run("SecureUnderHTTPS", func(t *testing.T) {
		e := newEnv(t)
		h, err := web.New(web.Config{Issuer: "https://login.example.com"}, web.Deps{Store: e.store, Flows: e.flows(), Limiter: e.limiter, Now: e.clock.Now, Rand: rand.Reader, UserCodeKey: testUserCodeKey})
		must(t, err)
		mux := http.NewServeMux()
		h.Register(mux)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "https://login.example.com/device", strings.NewReader("user_code=WDJBMJHT"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		mux.ServeHTTP(rec, req)
		cs := rec.Result().Cookies()
		if len(cs) != 1 || !cs[0].Secure || !cs[0].HttpOnly {
			t.Fatalf("cookies %v, want one Secure HttpOnly session cookie", rec.Header()["Set-Cookie"])
		}
	})
}

func TestCrossOriginProtection(t *testing.T) {
	e := newEnv(t)
	hash := e.device("WDJBMJHT", 10*time.Minute)
	b := e.signedInAtConsent("WDJBMJHT")

	for _, tt := range []struct {
		name   string
		header http.Header
	}{
		{"ErrSecFetchSite", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"ErrOrigin", http.Header{"Origin": {"https://evil.example"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b.header = tt.header
			defer func() { b.header = http.Header{} }()
			r := b.answer("approve")
			wantStatus(t, r, http.StatusForbidden)
			wantBody(t, r, "This form came from another website")
			if got := r.Header.Get("Content-Security-Policy"); got != wantCSP {
				t.Fatalf("CSP on the refusal = %q", got)
			}
			if got := e.getDevice(hash).Status; got != keypad.DevicePending {
				t.Fatalf("a cross-origin post changed the request to %s", got)
			}
		})
	}
	t.Run("ErrEveryForm", func(t *testing.T) {
		handled := func() float64 {
			return e.event("device", "code_rejected") + e.event("device", "code_accepted") +
				e.event("login", "failed") + e.event("login", "succeeded")
		}
		before := handled()
		for _, path := range []string{"/device", "/login", "/logout", "/consent"} {
			x := e.browser()
			x.header = http.Header{"Sec-Fetch-Site": {"cross-site"}}
			wantStatus(t, x.post(path, url.Values{"user_code": {"WDJBMJHT"}, "username": {"alice"}, "password": {alicePassword}}), http.StatusForbidden)
		}
		if n := handled() - before; n != 0 {
			t.Fatalf("refused cross-origin posts reached the handlers (%v events)", n)
		}
	})
	t.Run("SameOrigin", func(t *testing.T) {
		b.header = http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {e.srv.URL}}
		r := b.answer("approve")
		wantStatus(t, r, http.StatusOK)
		if got := e.getDevice(hash).Status; got != keypad.DeviceApproved {
			t.Fatalf("status = %s, want approved", got)
		}
	})
}

func TestErrorPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	r := b.get("/no/such/page")
	wantStatus(t, r, http.StatusNotFound)
	wantBody(t, r, "Page not found", `href="/device"`)

	req, _ := http.NewRequest("PUT", e.srv.URL+"/device", nil)
	r = b.do(req)
	wantStatus(t, r, http.StatusMethodNotAllowed)
	wantBody(t, r, "This page cannot be used that way")
	if got := r.Header.Get("Allow"); got != "GET, POST, HEAD" {
		t.Fatalf("Allow = %q, want GET, POST, HEAD", got)
	}
	r = b.get("/logout")
	wantStatus(t, r, http.StatusMethodNotAllowed)
	if got := r.Header.Get("Allow"); got != "POST" {
		t.Fatalf("Allow = %q, want POST", got)
	}

	r = b.get("/static/keypad.css")
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Fatalf("stylesheet Content-Type = %q", ct)
	}
	wantStatus(t, b.get("/static/nope.css"), http.StatusNotFound)
}

// limitEnv is an env whose requests carry a client address in X-Real-IP
// (a trusted proxy header), so one test can play many addresses.
func limitEnv(t *testing.T, opts ...envOption) *env {
	return newEnv(t, append([]envOption{func(c *web.Config, _ *ratelimit.Config) { c.ClientIPHeader = "X-Real-IP" }}, opts...)...)
}

func (e *env) browserAt(ip string) *browser {
	b := e.browser()
	b.header.Set("X-Real-IP", ip)
	return b
}

func TestCodeEntryLimits(t *testing.T) {
	t.Run("ErrPerSession", func(t *testing.T) {
		e := limitEnv(t)
		e.device("WDJBMJHT", 30*time.Minute)
		b := e.browserAt("192.0.2.1")
		for range 5 {
			wantStatus(t, b.enterCode("BBBBBBBB"), http.StatusBadRequest)
		}
		key := ratelimit.CodeSessionCounter(ratelimit.SessionKey(keypad.SecretHash(b.sessionCookie())))
		wantCounter(t, e, key, 5)
		// Now even the right code is refused, without being looked up.
		r := b.enterCode("WDJBMJHT")
		wantStatus(t, r, http.StatusTooManyRequests)
		wantBody(t, r, "Too many attempts", "try again in 15 minutes")
		if got := r.Header.Get("Retry-After"); got != "900" {
			t.Fatalf("Retry-After = %q, want 900", got)
		}
		wantCounter(t, e, key, 5) // refusals charge nothing
		// Another browser on the same address is unaffected.
		wantRedirect(t, e.browserAt("192.0.2.1").enterCode("WDJBMJHT"), "/login")
		e.clock.Advance(15 * time.Minute)
		wantRedirect(t, b.enterCode("WDJBMJHT"), "/login")
		if got := e.event("device", "rate_limited"); got != 1 {
			t.Fatalf("rate_limited = %v, want 1", got)
		}
		if got := e.count(e.auditTypes("WDJBMJHT", "BBBBBBBB"), "device.rate_limited"); got != 1 {
			t.Fatalf("rate_limited audit events = %d, want 1", got)
		}
	})

	t.Run("ErrPerIP", func(t *testing.T) {
		e := limitEnv(t)
		e.device("WDJBMJHT", 2*time.Hour)
		for range 20 { // a fresh cookie every time: only the IP limit bites
			wantStatus(t, e.browserAt("203.0.113.5").enterCode("BBBBBBBB"), http.StatusBadRequest)
		}
		wantCounter(t, e, ratelimit.CodeIPCounter("203.0.113.5"), 20)
		r := e.browserAt("203.0.113.5").enterCode("WDJBMJHT")
		wantStatus(t, r, http.StatusTooManyRequests)
		wantBody(t, r, "try again in 60 minutes")
		wantRedirect(t, e.browserAt("203.0.113.6").enterCode("WDJBMJHT"), "/login")
	})

	t.Run("ErrGlobal", func(t *testing.T) {
		e := limitEnv(t, func(_ *web.Config, rc *ratelimit.Config) {
			rc.CodeGlobal = ratelimit.Limit{Max: 12, Window: time.Minute}
			rc.GlobalCooldown = 3 * time.Minute
		})
		e.device("WDJBMJHT", time.Hour)
		for i := range 12 { // twelve addresses, one wrong code each
			ip := fmt.Sprintf("198.51.100.%d", i+1)
			wantStatus(t, e.browserAt(ip).enterCode("BBBBBBBB"), http.StatusBadRequest)
		}
		wantCounter(t, e, ratelimit.CodeGlobalCounter, 12)
		wantCounter(t, e, ratelimit.CodeGuardCounter, 1)
		// An innocent person with the right code is paused too.
		r := e.browserAt("192.0.2.200").enterCode("WDJBMJHT")
		wantStatus(t, r, http.StatusTooManyRequests)
		wantBody(t, r, "code entry is paused for everyone", "try again in 3 minutes")
		// A correct code resets nothing global: the guard still holds.
		e.clock.Advance(3 * time.Minute)
		wantRedirect(t, e.browserAt("192.0.2.200").enterCode("WDJBMJHT"), "/login")
	})

	t.Run("ErrBurst", func(t *testing.T) {
		e := limitEnv(t, func(c *web.Config, _ *ratelimit.Config) { c.FormBurst, c.FormRate = 3, 0.5 })
		b := e.browserAt("192.0.2.9")
		for range 3 {
			wantStatus(t, b.enterCode("AAAA"), http.StatusBadRequest)
		}
		r := b.enterCode("AAAA")
		wantStatus(t, r, http.StatusTooManyRequests)
		wantBody(t, r, "try again in 1 minute")
		e.clock.Advance(2 * time.Second)
		wantStatus(t, b.enterCode("AAAA"), http.StatusBadRequest)
	})
}

func wantCounter(t *testing.T, e *env, key string, want int64) {
	t.Helper()
	got, err := e.store.Count(context.Background(), key, e.clock.Now())
	must(t, err)
	if got != want {
		t.Fatalf("counter %s = %d, want %d", key, got, want)
	}
}
