package oauth_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/dpoptest"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token/jose"
)

// fapiPost sends form to path as the FAPI client "bank": a
// private_key_jwt assertion signed with key, and a DPoP proof of dk when
// dk is set.
func (e *flowEnv) fapiPost(path string, form url.Values, key, dk *dpoptest.Key) tokenResponse {
	e.t.Helper()
	now := e.clk.Now()
	form.Set("client_assertion_type", oauth.ClientAssertionType)
	form.Set("client_assertion", key.JWT(e.t, map[string]any{"alg": "ES256", "kid": "k1"}, map[string]any{
		"iss": "bank", "sub": "bank", "aud": e.ts.URL, "exp": now.Add(time.Minute).Unix(), "iat": now.Unix(),
		"jti": rand.Text()}))
	return e.postWith(path, "bank", form, e.dpopHeader(dk, "POST", path, ""))
}

// TestFAPI2: a client registered --profile fapi2 is held to the profile
// at the endpoints: its requests must be pushed and use PKCE, its token
// requests need DPoP, its codes live at most 60 s even where the server
// allows longer, and its refresh tokens are bound to the DPoP key though
// it is confidential.
func TestFAPI2(t *testing.T) {
	e := newFlowEnv(t, func(s *flowSettings) { s.authCode.CodeLifetime = 5 * time.Minute })
	key, dk, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256)
	c := &keypad.Client{ID: "bank", Name: "Bank", GrantTypes: []string{keypad.GrantAuthorizationCode, keypad.GrantRefreshToken},
		Scopes: []string{"api:read", "offline_access"}, RedirectURIs: []string{e.callback.URL + "/callback"},
		Options: keypad.ClientOptions{Profile: keypad.ProfileFAPI2, TokenEndpointAuthMethod: keypad.AuthMethodPrivateKeyJWT,
			AssertionKeys: json.RawMessage(key.JWKS("k1")), DPoP: keypad.DPoPRequired, RequirePAR: true}}
	must(t, c.Validate())
	must(t, e.st.CreateClient(t.Context(), c))
	verifier, challenge := pkce()
	params := func() url.Values {
		return url.Values{"response_type": {"code"}, "redirect_uri": {e.callback.URL + "/callback"}, "scope": {"api:read offline_access"},
			"state": {"st-fapi"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	}
	code := func() string {
		r := e.fapiPost(oauth.PathPAR, params(), key, nil)
		if r.status != http.StatusCreated {
			t.Fatalf("push: %d %s", r.status, r.raw)
		}
		cb := e.agent().authorize(parURL(e, "bank", r.str("request_uri")), "alice", alicePassword, "approve")
		if cb.Query().Get("iss") != e.ts.URL {
			t.Errorf("callback %s lacks iss", cb)
		}
		return cb.Query().Get("code")
	}
	exchange := func(code string, dk *dpoptest.Key) tokenResponse {
		return e.fapiPost(oauth.PathToken, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"code_verifier": {verifier}, "redirect_uri": {e.callback.URL + "/callback"}}, key, dk)
	}

	t.Run("ErrNotPushed", func(t *testing.T) {
		p := params()
		p.Set("client_id", "bank")
		pg := e.agent().do("GET", e.authURL(p), nil)
		if loc, _ := url.Parse(pg.location); loc == nil || loc.Query().Get("error") != "invalid_request" {
			t.Errorf("unpushed request: %d %s, want a redirect with invalid_request", pg.status, pg.location)
		}
	})
	t.Run("ErrNoPKCE", func(t *testing.T) {
		p := params()
		p.Del("code_challenge")
		p.Del("code_challenge_method")
		if r := e.fapiPost(oauth.PathPAR, p, key, nil); r.status != http.StatusBadRequest {
			t.Errorf("push without PKCE: %d %s, want 400", r.status, r.raw)
		}
	})
	t.Run("OK", func(t *testing.T) {
		cd := code()
		wantErr(t, exchange(cd, nil), oauth.CodeInvalidDPoPProof)
		r := exchange(cd, dk)
		wantOK(t, r)
		if r.str("token_type") != "DPoP" {
			t.Errorf("token_type %q, want DPoP", r.str("token_type"))
		}
		rt := r.str("refresh_token")
		refresh := func(k *dpoptest.Key) tokenResponse {
			return e.fapiPost(oauth.PathToken, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, key, k)
		}
		wantErr(t, refresh(other), oauth.CodeInvalidGrant)
		wantOK(t, refresh(dk))
	})
	t.Run("ErrCodeAfter60s", func(t *testing.T) {
		cd := code()
		e.clk.Advance(61 * time.Second)
		wantErr(t, exchange(cd, dk), oauth.CodeInvalidGrant)
	})
}
