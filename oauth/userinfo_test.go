package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keypadauth/keypad/oauth"
)

func TestUserinfo(t *testing.T) {
	e := newFlowEnv(t)
	full := e.signIn("openid profile email phone address")
	t.Run("OKAllScopes", func(t *testing.T) {
		r := e.userinfo(full.str("access_token"))
		want := map[string]any{
			"sub": "sub-alice", "name": "Alice Example", "preferred_username": "alice",
			"updated_at": float64(e.clk.Now().Unix()), "email": "alice@example.com",
			"phone_number": "+14155550123", "address": map[string]any{"formatted": "1 MAIN ST SPRINGFIELD"},
		}
		got, _ := json.Marshal(r.body)
		exp, _ := json.Marshal(want)
		if r.status != http.StatusOK || string(got) != string(exp) {
			t.Errorf("userinfo = %d %s, want %s", r.status, got, exp)
		}
	})
	t.Run("OKSubOnly", func(t *testing.T) {
		r := e.userinfo(e.signIn("openid").str("access_token"))
		if len(r.body) != 1 || r.body["sub"] != "sub-alice" {
			t.Errorf("userinfo with scope openid alone = %s, want only sub", r.raw)
		}
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		r := e.userinfo("")
		if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("no token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
		}
	})
	t.Run("ErrNoOpenID", func(t *testing.T) {
		r := e.userinfo(e.signIn("api:read").str("access_token"))
		if r.status != http.StatusForbidden || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
			t.Errorf("token without openid: %d %q, want 403 insufficient_scope", r.status, r.header.Get("WWW-Authenticate"))
		}
	})
	t.Run("ErrOtherAudience", func(t *testing.T) {
		p, verifier := e.webParams("openid")
		p.Set("resource", "https://api.example.com/")
		r := e.exchange("webapp", e.agent().code(p, "alice", alicePassword), verifier)
		if u := e.userinfo(r.str("access_token")); u.status != http.StatusUnauthorized {
			t.Errorf("a token for another resource got userinfo: %d", u.status)
		}
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		r := e.signIn("openid offline_access")
		e.post(oauth.PathRevoke, "webapp", url.Values{"token": {r.str("refresh_token")}})
		if u := e.userinfo(r.str("access_token")); u.status != http.StatusUnauthorized || !strings.Contains(u.header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("revoked grant: userinfo %d %q, want 401 invalid_token", u.status, u.header.Get("WWW-Authenticate"))
		}
	})
	t.Run("ErrRefreshTokenAsAccess", func(t *testing.T) {
		r := e.signIn("openid offline_access")
		if u := e.userinfo(r.str("refresh_token")); u.status != http.StatusUnauthorized {
			t.Errorf("a refresh token got userinfo: %d", u.status)
		}
	})
}

// TestDiscovery: the metadata announces the flow and OpenID Connect.
func TestDiscovery(t *testing.T) {
	e := newFlowEnv(t)
	for _, path := range []string{oauth.PathOIDCDiscovery, oauth.PathASMetadata} {
		res, err := http.Get(e.ts.URL + path)
		must(t, err)
		var m map[string]any
		must(t, json.NewDecoder(res.Body).Decode(&m))
		res.Body.Close()
		for k, want := range map[string]any{
			"authorization_endpoint":                         e.ts.URL + oauth.PathAuthorize,
			"userinfo_endpoint":                              e.ts.URL + oauth.PathUserinfo,
			"authorization_response_iss_parameter_supported": true,
			"request_uri_parameter_supported":                false,
		} {
			if m[k] != want {
				t.Errorf("%s: %s = %v, want %v", path, k, m[k], want)
			}
		}
		for k, want := range map[string]string{
			"response_types_supported":              "code",
			"code_challenge_methods_supported":      "S256",
			"id_token_signing_alg_values_supported": "RS256",
			"subject_types_supported":               "public",
			"grant_types_supported":                 "refresh_token",
			"scopes_supported":                      "openid",
			"claims_supported":                      "auth_time",
		} {
			if !slices.Contains(toStrings(m[k]), want) {
				t.Errorf("%s: %s = %v, want it to list %s", path, k, m[k], want)
			}
		}
		if slices.Contains(toStrings(m["response_types_supported"]), "token") {
			t.Errorf("the implicit flow is announced")
		}
	}
}
