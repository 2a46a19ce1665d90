package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/web"
)

// deviceCookie returns the browser's device cookie value ("" if none).
func (b *browser) deviceCookie() string {
	u, _ := url.Parse(b.e.srv.URL + "/login")
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == web.DeviceCookie {
			return c.Value
		}
	}
	return ""
}

// lockAlice has an attacker on another address fail alice's password
// until the username is locked.
func lockAlice(t *testing.T, e *env) {
	t.Helper()
	for i := range 10 {
		r := e.browserAt(fmt.Sprintf("198.51.100.%d", i+1)).login("alice", "guess")
		wantStatus(t, r, http.StatusUnauthorized)
	}
	r := e.browserAt("198.51.100.50").login("alice", alicePassword)
	wantStatus(t, r, http.StatusTooManyRequests)
	wantBody(t, r, "locked for up to 15 minutes")
}

// TestLoginDeviceCookie: an attacker who locks a username out does not
// stop its owner signing in from a browser where they signed in before.
func TestLoginDeviceCookie(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := limitEnv(t)
		person := e.browserAt("192.0.2.10")
		r := person.login("alice", alicePassword)
		wantRedirect(t, r, "/device")
		var set *http.Cookie
		for _, c := range r.Cookies() {
			if c.Name == web.DeviceCookie {
				set = c
			}
		}
		if set == nil || !set.HttpOnly || set.Path != "/login" || set.SameSite != http.SameSiteLaxMode || set.MaxAge <= 0 {
			t.Fatalf("device cookie = %+v, want HttpOnly, Path /login, SameSite Lax, lasting", set)
		}
		wantStatus(t, person.post("/logout", url.Values{}), http.StatusOK)

		lockAlice(t, e)
		// The person's browser is charged to its own allowance.
		wantRedirect(t, person.login("alice", alicePassword), "/device")
		// A browser without the cookie, even on the person's address, is not.
		wantStatus(t, e.browserAt("192.0.2.10").login("alice", alicePassword), http.StatusTooManyRequests)
	})

	t.Run("ErrOtherUsernameOrForged", func(t *testing.T) {
		e := limitEnv(t)
		person := e.browserAt("192.0.2.10")
		wantRedirect(t, person.login("alice", alicePassword), "/device")
		value := person.deviceCookie()
		if value == "" {
			t.Fatal("no device cookie after sign-in")
		}
		// A cookie issued for alice does not help against bob's lock.
		for i := range 10 {
			wantStatus(t, e.browserAt(fmt.Sprintf("198.51.100.%d", i+1)).login("bob", "guess"), http.StatusUnauthorized)
		}
		wantStatus(t, person.login("bob", "guess"), http.StatusTooManyRequests)

		// A tampered cookie is no cookie.
		lockAlice(t, e)
		forged := e.browserAt("192.0.2.11")
		forged.header.Set("Cookie", web.DeviceCookie+"="+value[:len(value)-2]+"AA")
		wantStatus(t, forged.login("alice", alicePassword), http.StatusTooManyRequests)
		forged.header.Set("Cookie", web.DeviceCookie+"="+value)
		wantRedirect(t, forged.login("alice", alicePassword), "/device")
	})

	t.Run("ErrDeviceLimit", func(t *testing.T) {
		e := limitEnv(t)
		person := e.browserAt("192.0.2.10")
		wantRedirect(t, person.login("alice", alicePassword), "/device")
		for range 9 {
			wantBody(t, person.login("alice", "guess"), "do not match")
		}
		wantBody(t, person.login("alice", "guess"), "on this device", "locked for up to 15 minutes")
		r := person.login("alice", alicePassword)
		wantStatus(t, r, http.StatusTooManyRequests)
		wantBody(t, r, "Too many failed sign-ins on this device")
		// The device's failures are its own: alice elsewhere is not locked.
		wantRedirect(t, e.browserAt("192.0.2.20").login("alice", alicePassword), "/device")
	})
}

// TestLoginLimits: a spray over many usernames from one address stops at
// the per-address limit (an IPv6 address counted by its /64), and the
// global guard pauses sign-in for everyone but known devices.
func TestLoginLimits(t *testing.T) {
	t.Run("ErrSprayPerIP", func(t *testing.T) {
		e := limitEnv(t)
		for i := range 30 {
			wantStatus(t, e.browserAt("203.0.113.5").login(fmt.Sprint("user", i), "Winter2026!"), http.StatusUnauthorized)
		}
		wantCounter(t, e, ratelimit.LoginIPCounter("203.0.113.5"), 30)
		r := e.browserAt("203.0.113.5").login("alice", alicePassword)
		wantStatus(t, r, http.StatusTooManyRequests)
		wantBody(t, r, "from your network", "60 minutes")
		if got := r.Header.Get("Retry-After"); got != "3600" {
			t.Fatalf("Retry-After = %q, want 3600", got)
		}
		wantRedirect(t, e.browserAt("203.0.113.6").login("alice", alicePassword), "/device")
	})

	t.Run("ErrSprayPerIPv6Prefix", func(t *testing.T) {
		e := limitEnv(t)
		for i := range 30 {
			ip := fmt.Sprintf("2001:db8:5:6::%x", i+1)
			wantStatus(t, e.browserAt(ip).login(fmt.Sprint("user", i), "Winter2026!"), http.StatusUnauthorized)
		}
		wantStatus(t, e.browserAt("2001:db8:5:6:abcd::1").login("alice", alicePassword), http.StatusTooManyRequests)
		wantRedirect(t, e.browserAt("2001:db8:5:7::1").login("alice", alicePassword), "/device")
	})

	t.Run("ErrGlobal", func(t *testing.T) {
		e := limitEnv(t, func(_ *web.Config, rc *ratelimit.Config) {
			rc.LoginGlobal = ratelimit.Limit{Max: 12, Window: time.Minute}
		})
		person := e.browserAt("192.0.2.10")
		wantRedirect(t, person.login("alice", alicePassword), "/device")
		for i := range 12 {
			wantStatus(t, e.browserAt(fmt.Sprintf("198.51.100.%d", i+1)).login(fmt.Sprint("user", i), "guess"), http.StatusUnauthorized)
		}
		wantCounter(t, e, ratelimit.LoginGuardCounter, 1)
		r := e.browserAt("192.0.2.200").login("alice", alicePassword)
		wantStatus(t, r, http.StatusTooManyRequests)
		wantBody(t, r, "sign-in is paused", "2 minutes")
		// A browser where alice signed in before still gets in.
		wantRedirect(t, person.login("alice", alicePassword), "/device")
		e.clock.Advance(2 * time.Minute)
		wantRedirect(t, e.browserAt("192.0.2.200").login("alice", alicePassword), "/device")
	})
}
