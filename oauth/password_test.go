package oauth_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/ratelimit"
)

func (e *flowEnv) password(client, user, pw, scope string) tokenResponse {
	e.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return e.post(oauth.PathToken, client, form)
}

func TestPasswordGrant(t *testing.T) {
	e := newFlowEnv(t, func(s *flowSettings) {
		s.limits.LoginPerUser = ratelimit.Limit{Max: 3, Window: 15 * time.Minute}
	})
	t.Run("OK", func(t *testing.T) {
		r := e.password("legacy", "alice", alicePassword, "api:read")
		wantOK(t, r)
		if r.str("refresh_token") == "" || r.str("scope") != "api:read" {
			t.Errorf("password grant answered %s, want api:read and a refresh token", r.raw)
		}
		if gid := e.introspect(r.str("access_token"))["gid"]; gid == "" || gid == nil {
			t.Errorf("the token belongs to no grant, so my devices cannot revoke it")
		}
		wantOK(t, e.refresh("legacy", r.str("refresh_token"), nil))
	})
	t.Run("ErrNotEnabled", func(t *testing.T) {
		r := e.password("webapp", "alice", alicePassword, "")
		if r.status != 400 || r.str("error") != oauth.CodeUnauthorizedClient {
			t.Errorf("a client without the password grant got %d %s, want unauthorized_client", r.status, r.raw)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		wantErr(t, e.password("legacy", "alice", "wrong", ""), oauth.CodeInvalidGrant)
	})
	t.Run("ErrUnknownUserSameAnswer", func(t *testing.T) {
		a, b := e.password("legacy", "nobody", "x", ""), e.password("legacy", "bob", "x", "")
		if a.str("error_description") != b.str("error_description") {
			t.Errorf("unknown and known usernames answer differently: %q vs %q", a.raw, b.raw)
		}
	})
	t.Run("ErrScopeCostsNoAttempt", func(t *testing.T) {
		wantErr(t, e.password("legacy", "bob", "x", "openid"), oauth.CodeInvalidScope)
	})
	t.Run("Resource", func(t *testing.T) {
		// RFC 8707 §2, as for client credentials: resource is the aud.
		form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePassword},
			"resource": {"https://meter.example.com/"}}
		r := e.post(oauth.PathToken, "legacy", form)
		wantOK(t, r)
		if aud := e.introspect(r.str("access_token"))["aud"]; aud != "https://meter.example.com/" {
			t.Errorf("aud = %v, want the resource asked for", aud)
		}
	})
	t.Run("ErrResourceCostsNoAttempt", func(t *testing.T) {
		// A malformed resource is refused before the password is looked
		// at: checked after, the wrong password would answer
		// invalid_grant and count towards carol's lock.
		for range 5 {
			form := url.Values{"grant_type": {"password"}, "username": {"carol"}, "password": {"x"},
				"resource": {"https://meter.example.com/#frag"}}
			wantErr(t, e.post(oauth.PathToken, "legacy", form), oauth.CodeInvalidTarget)
		}
	})
	t.Run("ErrLockout", func(t *testing.T) {
		// bob has one failure from ErrUnknownUserSameAnswer.
		wantErr(t, e.password("legacy", "bob", "x", ""), oauth.CodeInvalidGrant)
		wantErr(t, e.password("legacy", "bob", "x", ""), oauth.CodeInvalidGrant)
		r := e.password("legacy", "bob", bobPassword, "")
		wantErr(t, r, oauth.CodeInvalidGrant)
		if r.header.Get("Retry-After") == "" {
			t.Errorf("a locked account's answer has no Retry-After")
		}
		// The lock is per user: alice is unaffected.
		wantOK(t, e.password("legacy", "alice", alicePassword, ""))
		e.clk.Advance(15 * time.Minute)
		wantOK(t, e.password("legacy", "bob", bobPassword, ""))
	})
}

// TestPasswordGrantSprayPerIP: one address guessing one password for
// each of many usernames stops at the per-address limit the sign-in page
// shares, though no username is near its own lock.
func TestPasswordGrantSprayPerIP(t *testing.T) {
	e := newFlowEnv(t, func(s *flowSettings) {
		s.limits.LoginPerIP = ratelimit.Limit{Max: 5, Window: time.Hour}
	})
	for i := range 5 {
		wantErr(t, e.password("legacy", fmt.Sprint("user", i), "Winter2026!", ""), oauth.CodeInvalidGrant)
	}
	r := e.password("legacy", "alice", alicePassword, "")
	wantErr(t, r, oauth.CodeInvalidGrant)
	if !strings.Contains(r.str("error_description"), "from this address") || r.header.Get("Retry-After") != "3600" {
		t.Errorf("spray answer %s (Retry-After %q), want the address limit and 3600", r.raw, r.header.Get("Retry-After"))
	}
	e.clk.Advance(time.Hour)
	wantOK(t, e.password("legacy", "alice", alicePassword, ""))
}
