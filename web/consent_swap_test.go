package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// TestConsentSwap: a consent page answers only the request it showed.
// Another site can replace the session's pending request between the
// page being shown and the person pressing Allow (a top-level GET of the
// authorize endpoint carries the cookie); the Allow must then approve
// nothing, neither the request shown nor the one swapped in.
func TestConsentSwap(t *testing.T) {
	authorizeURL := func(e *codeEnv, state string) string {
		return oauth.PathAuthorize + "?" + url.Values{
			"response_type": {"code"}, "client_id": {"webapp"}, "redirect_uri": {e.srv.URL + appCallback},
			"scope": {"playlists:read"}, "state": {state},
			"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
		}.Encode()
	}
	approve := func(ref string) url.Values { return url.Values{"action": {"approve"}, "request": {ref}} }
	wantNothingApproved := func(t *testing.T, e *codeEnv) {
		t.Helper()
		types := e.auditTypes()
		if e.count(types, "device.approved") != 0 || e.count(types, "authorize.approved") != 0 {
			t.Fatalf("audit events %v: something was approved", types)
		}
		if e.count(types, "consent.stale") != 1 || e.event("consent", "stale") != 1 {
			t.Fatalf("audit events %v: want one consent.stale, counted", types)
		}
	}

	t.Run("ErrDeviceSwappedForAuthorize", func(t *testing.T) {
		e := newCodeEnv(t, codeAuthcode)
		hash := e.device("WDJBMJHT", 10*time.Minute)
		b := e.signedInAtConsent("WDJBMJHT")
		refA := b.consentRef()
		if refA == "" {
			t.Fatal("the device consent page carries no request field")
		}
		// The attacker's window opens their client's authorize request.
		wantRedirect(t, b.get(authorizeURL(e, "attacker")), "/consent")

		r := b.post("/consent", approve(refA))
		wantStatus(t, r, http.StatusGone)
		wantBody(t, r, "This sign-in has ended", "Nothing was shared")
		if d := e.getDevice(hash); d.Status != keypad.DevicePending || d.GrantID != "" {
			t.Fatalf("device request = %s with grant %q, want pending without one", d.Status, d.GrantID)
		}
		wantNothingApproved(t, e)
		// Reloaded, the page shows what is pending now, under its own name.
		page := b.get("/consent")
		wantBody(t, page, "Allow Energy Dashboard to use your account?")
		if refB := b.consentRef(); refB == "" || refB == refA {
			t.Fatalf("request field %q for the swapped-in request, want a new one (was %q)", refB, refA)
		}
	})

	t.Run("ErrAuthorizeSwappedForAuthorize", func(t *testing.T) {
		e := newCodeEnv(t, codeAuthcode)
		b := e.browser()
		wantRedirect(t, b.get(authorizeURL(e, "st-A")), "/login")
		wantRedirect(t, b.login("alice", alicePassword), "/authorize/continue")
		wantRedirect(t, b.get("/authorize/continue"), "/consent")
		refA := b.consentRef()
		wantRedirect(t, b.get(authorizeURL(e, "st-B")), "/consent")

		r := b.post("/consent", approve(refA))
		wantStatus(t, r, http.StatusGone)
		wantBody(t, r, "This sign-in has ended")
		wantNothingApproved(t, e)

		// Answering the page that is shown now works, and answers B.
		r = b.answer("approve")
		wantStatus(t, r, http.StatusSeeOther)
		back, err := url.Parse(r.Header.Get("Location"))
		must(t, err)
		if back.Query().Get("state") != "st-B" || back.Query().Get("code") == "" {
			t.Fatalf("back at the app with %s, want a code for st-B", back)
		}
	})

	t.Run("ErrDeviceSwappedForDevice", func(t *testing.T) {
		e := newCodeEnv(t)
		hashA := e.device("WDJBMJHT", 10*time.Minute)
		hashB := e.device("KKKKLLLL", 10*time.Minute)
		b := e.signedInAtConsent("WDJBMJHT")
		refA := b.consentRef()
		wantRedirect(t, b.enterCode("KKKKLLLL"), "/consent")

		r := b.post("/consent", approve(refA))
		wantStatus(t, r, http.StatusGone)
		wantBody(t, r, "This request has expired or was already answered")
		for _, h := range [][]byte{hashA, hashB} {
			if d := e.getDevice(h); d.Status != keypad.DevicePending {
				t.Fatalf("device request = %s, want pending", d.Status)
			}
		}
		wantNothingApproved(t, e)
	})

	t.Run("ErrNoField", func(t *testing.T) {
		e := newCodeEnv(t)
		hash := e.device("WDJBMJHT", 10*time.Minute)
		b := e.signedInAtConsent("WDJBMJHT")
		wantStatus(t, b.post("/consent", url.Values{"action": {"approve"}}), http.StatusGone)
		if d := e.getDevice(hash); d.Status != keypad.DevicePending {
			t.Fatalf("device request = %s, want pending", d.Status)
		}
	})
}
