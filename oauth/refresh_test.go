package oauth_test

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token"
)

// signIn runs the web app's flow for scope and returns the token response.
func (e *flowEnv) signIn(scope string) tokenResponse {
	e.t.Helper()
	params, verifier := e.webParams(scope)
	r := e.exchange("webapp", e.agent().code(params, "alice", alicePassword), verifier)
	wantOK(e.t, r)
	return r
}

// TestRefreshReuse checks RFC 9700 §4.14.2: a refresh token used twice
// revokes its whole family, the access tokens included, and nothing else.
func TestRefreshReuse(t *testing.T) {
	e := newFlowEnv(t)
	first := e.signIn("api:read")
	other := e.signIn("api:read") // another sign-in: another family
	second := e.refresh("webapp", first.str("refresh_token"), nil)
	wantOK(t, second)

	// The first refresh token again: stolen, or the client is confused.
	wantErr(t, e.refresh("webapp", first.str("refresh_token"), nil), oauth.CodeInvalidGrant)
	for name, tok := range map[string]string{
		"the newest refresh token": second.str("refresh_token"),
		"the newest access token":  second.str("access_token"),
		"the first access token":   first.str("access_token"),
	} {
		if e.active(tok) {
			t.Errorf("after reuse, %s is still active", name)
		}
	}
	wantErr(t, e.refresh("webapp", second.str("refresh_token"), nil), oauth.CodeInvalidGrant)
	if !e.active(other.str("refresh_token")) || !e.active(other.str("access_token")) {
		t.Errorf("the reuse revoked another sign-in's tokens too")
	}
	wantOK(t, e.refresh("webapp", other.str("refresh_token"), nil))
}

// TestRefreshConcurrent: 32 clients refreshing one token at once get at
// most one new token between them; the other 31 are reuse, which then
// revokes the family and the grant, the winner's new tokens included.
// The winner may itself be refused: when a loser's revocation of the
// grant lands between the winner's consuming the token and its reading
// the grant, the winner finds the grant revoked (RFC 9700 section
// 4.14.2: reuse ends the sign-in for everyone). Either way the token was
// spent once and no token of the sign-in survives.
func TestRefreshConcurrent(t *testing.T) {
	e := newFlowEnv(t)
	rt := e.signIn("api:read").str("refresh_token")
	const n = 32
	results := make([]tokenResponse, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = e.refresh("webapp", rt, nil)
		})
	}
	close(start)
	wg.Wait()
	var won []tokenResponse
	for _, r := range results {
		switch {
		case r.status == http.StatusOK:
			won = append(won, r)
		case r.status != http.StatusBadRequest || r.str("error") != oauth.CodeInvalidGrant:
			t.Errorf("a loser got %d %s, want invalid_grant", r.status, r.raw)
		}
	}
	if len(won) > 1 {
		t.Fatalf("%d of %d concurrent refreshes succeeded, want at most 1", len(won), n)
	}
	for _, w := range won {
		if e.active(w.str("refresh_token")) || e.active(w.str("access_token")) {
			t.Errorf("the winner's tokens survived the reuse by the other 31")
		}
	}
	if e.active(rt) {
		t.Error("the raced refresh token is still active")
	}
}

func TestRefresh(t *testing.T) {
	e := newFlowEnv(t)
	t.Run("OKNarrowScope", func(t *testing.T) {
		r := e.signIn("api:read device:abc123:read")
		n := e.refresh("webapp", r.str("refresh_token"), url.Values{"scope": {"device:abc123:read"}})
		wantOK(t, n)
		if got := n.str("scope"); got != "device:abc123:read" {
			t.Errorf("narrowed scope = %q", got)
		}
		// The new refresh token keeps the whole grant.
		wantOK(t, e.refresh("webapp", n.str("refresh_token"), url.Values{"scope": {"api:read"}}))
	})
	t.Run("ErrWidenToAnotherDevice", func(t *testing.T) {
		r := e.signIn("device:abc123:read")
		for _, scope := range []string{"device:xyz789:read", "device:abc123:control", "device:{id}:read", "api:read"} {
			wantErr(t, e.refresh("webapp", r.str("refresh_token"), url.Values{"scope": {scope}}), oauth.CodeInvalidScope)
		}
		// Refused requests did not burn the token.
		wantOK(t, e.refresh("webapp", r.str("refresh_token"), nil))
	})
	t.Run("ErrOtherClient", func(t *testing.T) {
		r := e.signIn("api:read")
		wantErr(t, e.refresh("native", r.str("refresh_token"), nil), oauth.CodeInvalidGrant)
		wantOK(t, e.refresh("webapp", r.str("refresh_token"), nil))
	})
	t.Run("ErrNotARefreshToken", func(t *testing.T) {
		wantErr(t, e.refresh("webapp", "kp_rt_nonsense", nil), oauth.CodeInvalidGrant)
		wantErr(t, e.refresh("webapp", e.signIn("api:read").str("access_token"), nil), oauth.CodeInvalidGrant)
	})
	t.Run("OKEarlierTokenForm", func(t *testing.T) {
		// Refresh tokens issued before keypad keyed tokens by their issue
		// time (kp_rt_ and 43 characters, stored under their SHA-256)
		// keep working: introspection, rotation and reuse detection.
		r := e.signIn("api:read")
		rec, err := e.st.GetToken(t.Context(), keypad.TokenKey(r.str("refresh_token")))
		must(t, err)
		if !bytes.Equal(rec.Hash[:8], binary.BigEndian.AppendUint64(nil, uint64(rec.IssuedAt.UnixNano()))) {
			t.Fatalf("a new refresh token's key %x does not start with its issue time %v", rec.Hash, rec.IssuedAt)
		}
		old, err := token.NewSecret(nil, keypad.PrefixRefreshToken)
		must(t, err)
		if len(old) != len(keypad.PrefixRefreshToken)+43 {
			t.Fatalf("earlier form %q: want 43 characters after the prefix", old)
		}
		rec.Hash = keypad.SecretHash(old)
		must(t, e.st.CreateToken(t.Context(), rec))
		if !e.active(old) {
			t.Fatalf("an earlier-form refresh token is not active")
		}
		n := e.refresh("webapp", old, nil)
		wantOK(t, n)
		if got := len(n.str("refresh_token")); got != len(keypad.PrefixRefreshToken)+54 {
			t.Errorf("the rotated refresh token has %d characters, want the time-keyed form's %d", got, len(keypad.PrefixRefreshToken)+54)
		}
		wantErr(t, e.refresh("webapp", old, nil), oauth.CodeInvalidGrant)
		if e.active(n.str("refresh_token")) {
			t.Errorf("reusing the earlier-form token left its successor active")
		}
	})
	t.Run("OKNoRefreshWithoutOfflineAccess", func(t *testing.T) {
		if rt := e.signIn("openid api:read").str("refresh_token"); rt != "" {
			t.Errorf("an OpenID sign-in without offline_access got a refresh token")
		}
	})
}

// TestRefreshLifetimes: absolute lifetimes count from the sign-in, idle
// ones from the last use; both per client; up to 30 years, or none.
func TestRefreshLifetimes(t *testing.T) {
	t.Run("ErrAbsolute", func(t *testing.T) {
		e := newFlowEnv(t)
		e.updateClient("webapp", func(c *keypad.Client) { c.RefreshTTL = 2 * time.Hour })
		r := e.signIn("api:read")
		e.clk.Advance(90 * time.Minute)
		n := e.refresh("webapp", r.str("refresh_token"), nil)
		wantOK(t, n)
		if got, want := e.introspect(n.str("refresh_token"))["exp"], float64(e.clk.Now().Add(30*time.Minute).Unix()); got != want {
			t.Errorf("rotated token exp = %v, want %v: rotation must not extend the absolute lifetime", got, want)
		}
		e.clk.Advance(30 * time.Minute)
		wantErr(t, e.refresh("webapp", n.str("refresh_token"), nil), oauth.CodeInvalidGrant)
	})
	t.Run("ErrIdle", func(t *testing.T) {
		e := newFlowEnv(t)
		e.updateClient("webapp", func(c *keypad.Client) { c.Options.RefreshIdleTTL = time.Hour; c.RefreshTTL = 1000 * time.Hour })
		r := e.signIn("api:read")
		e.clk.Advance(50 * time.Minute)
		n := e.refresh("webapp", r.str("refresh_token"), nil)
		wantOK(t, n)
		e.clk.Advance(50 * time.Minute) // 100 minutes in, 50 since the last use
		n = e.refresh("webapp", n.str("refresh_token"), nil)
		wantOK(t, n)
		e.clk.Advance(time.Hour)
		wantErr(t, e.refresh("webapp", n.str("refresh_token"), nil), oauth.CodeInvalidGrant)
	})
	t.Run("OKNoExpiry", func(t *testing.T) {
		e := newFlowEnv(t)
		e.updateClient("webapp", func(c *keypad.Client) { c.Options.RefreshNoExpiry = true })
		r := e.signIn("api:read")
		if exp, ok := e.introspect(r.str("refresh_token"))["exp"]; ok {
			t.Errorf("a no-expiry refresh token has exp %v", exp)
		}
		e.clk.Advance(40 * 8766 * time.Hour)
		wantOK(t, e.refresh("webapp", r.str("refresh_token"), nil))
	})
	t.Run("OKThirtyYearCap", func(t *testing.T) {
		e := newFlowEnv(t)
		e.updateClient("webapp", func(c *keypad.Client) { c.RefreshTTL = 100 * 8766 * time.Hour })
		r := e.signIn("api:read")
		if got, want := e.introspect(r.str("refresh_token"))["exp"], float64(e.clk.Now().Add(token.MaxRefreshTTL).Unix()); got != want {
			t.Errorf("exp = %v, want 30 years from now (%v)", got, want)
		}
	})
}

// introspect returns the introspection of tok as the web app sees it.
func (e *flowEnv) introspect(tok string) map[string]any {
	e.t.Helper()
	r := e.post(oauth.PathIntrospect, "api", url.Values{"token": {tok}})
	if r.status != http.StatusOK || r.body["active"] != true {
		e.t.Fatalf("introspect: %d %s, want an active token", r.status, r.raw)
	}
	return r.body
}
