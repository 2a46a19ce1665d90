package oauth_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// TestRememberedConsent: consent is remembered per person, client and
// scopes once a code was exchanged, unless the client always asks or the
// request says prompt=consent.
func TestRememberedConsent(t *testing.T) {
	e := newFlowEnv(t)
	a := e.agent()
	first, verifier := e.webParams("openid api:read")
	wantOK(t, e.exchange("webapp", a.code(first, "alice", alicePassword), verifier))

	step := func(t *testing.T, scope string, edit func(url.Values)) (logins, shown int) {
		t.Helper()
		p, verifier := e.webParams(scope)
		if edit != nil {
			edit(p)
		}
		l0, s0 := a.logins, a.shown
		wantOK(t, e.exchange("webapp", a.code(p, "alice", alicePassword), verifier))
		return a.logins - l0, a.shown - s0
	}
	t.Run("OKRemembered", func(t *testing.T) {
		if l, s := step(t, "openid api:read", nil); l != 0 || s != 0 {
			t.Errorf("sign-in %d, consent %d; want neither for a remembered consent in a live session", l, s)
		}
	})
	t.Run("OKSubsetRemembered", func(t *testing.T) {
		if _, s := step(t, "api:read", nil); s != 0 {
			t.Errorf("consent shown for a subset of the consented scopes")
		}
	})
	t.Run("OKMoreScopesAsk", func(t *testing.T) {
		if _, s := step(t, "openid api:read email", nil); s != 1 {
			t.Errorf("consent shown %d times for a new scope, want 1", s)
		}
	})
	t.Run("OKAnotherDeviceAsks", func(t *testing.T) {
		step(t, "device:abc123:read", nil)
		if _, s := step(t, "device:xyz789:read", nil); s != 1 {
			t.Errorf("consent for device abc123 was taken as consent for device xyz789")
		}
	})
	t.Run("OKPromptConsent", func(t *testing.T) {
		if _, s := step(t, "api:read", func(v url.Values) { v.Set("prompt", "consent") }); s != 1 {
			t.Errorf("prompt=consent showed consent %d times, want 1", s)
		}
	})
	t.Run("OKPromptLogin", func(t *testing.T) {
		if l, _ := step(t, "api:read", func(v url.Values) { v.Set("prompt", "login") }); l != 1 {
			t.Errorf("prompt=login showed sign-in %d times, want 1", l)
		}
	})
	t.Run("OKMaxAge", func(t *testing.T) {
		if l, _ := step(t, "api:read", func(v url.Values) { v.Set("max_age", "600") }); l != 0 {
			t.Errorf("max_age=600 right after sign-in asked to sign in again")
		}
		e.clk.Advance(11 * time.Minute)
		if l, _ := step(t, "api:read", func(v url.Values) { v.Set("max_age", "600") }); l != 1 {
			t.Errorf("max_age=600 eleven minutes after sign-in did not ask to sign in again")
		}
	})
	t.Run("OKPromptNone", func(t *testing.T) {
		p, verifier := e.webParams("api:read")
		p.Set("prompt", "none")
		u := a.authorize(e.authURL(p), "", "", "")
		r := e.exchange("webapp", u.Query().Get("code"), verifier)
		wantOK(t, r)
	})
	t.Run("ErrPromptNoneConsentRequired", func(t *testing.T) {
		p, _ := e.webParams("phone")
		p.Set("prompt", "none")
		u := a.authorize(e.authURL(p), "", "", "")
		if got := u.Query().Get("error"); got != oauth.CodeConsentRequired {
			t.Errorf("error = %q, want consent_required", got)
		}
	})
	t.Run("ErrPromptNoneMaxAge", func(t *testing.T) {
		e.clk.Advance(time.Minute)
		p, _ := e.webParams("api:read")
		p.Set("prompt", "none")
		p.Set("max_age", "0")
		u := a.authorize(e.authURL(p), "", "", "")
		if got := u.Query().Get("error"); got != oauth.CodeLoginRequired {
			t.Errorf("error = %q, want login_required", got)
		}
	})
	t.Run("OKAlwaysConsent", func(t *testing.T) {
		e.updateClient("webapp", func(c *keypad.Client) { c.Options.AlwaysConsent = true })
		if _, s := step(t, "api:read", nil); s != 1 {
			t.Errorf("a client that always asks got remembered consent")
		}
	})
	t.Run("OKDenied", func(t *testing.T) {
		p, _ := e.webParams("profile")
		u := e.agent().authorize(e.authURL(p), "alice", alicePassword, "deny")
		if q := u.Query(); q.Get("error") != oauth.CodeAccessDenied || q.Get("state") != "st-123" || q.Has("code") {
			t.Errorf("denial answered %v, want access_denied with state", q)
		}
	})
}

// TestAuthorizeWrongPassword: the sign-in page keeps the request while the
// person retries; the client learns nothing.
func TestAuthorizeWrongPassword(t *testing.T) {
	e := newFlowEnv(t)
	a := e.agent()
	p, verifier := e.webParams("api:read")
	page := a.do("GET", e.authURL(p), nil)
	page = a.do("GET", page.location, nil)
	if page.path != "/login" {
		t.Fatalf("got %s, want the sign-in page", page.path)
	}
	wrong := a.do("POST", e.ts.URL+"/login", url.Values{"username": {"alice"}, "password": {"nope"}})
	if wrong.status != 401 || wrong.location != "" {
		t.Fatalf("wrong password: %d to %q, want 401 and the form again", wrong.status, wrong.location)
	}
	u := a.authorize(e.ts.URL+"/login", "alice", alicePassword, "approve")
	wantOK(t, e.exchange("webapp", u.Query().Get("code"), verifier))
}
