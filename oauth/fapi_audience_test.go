package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/dpoptest"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token/jose"
)

// TestFAPI2Audiences: a FAPI 2.0 client that registered audiences gets
// no resource-less token: a pushed request or a client credentials
// request without resource, or naming another one, is refused with
// invalid_target; one naming a registered audience gets a token whose
// aud is it.
func TestFAPI2Audiences(t *testing.T) {
	const energy, billing = "https://energy.example.com/api", "https://billing.example.com/"
	e := newFlowEnv(t)
	key, dk := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256)
	c := &keypad.Client{ID: "bank", Name: "Bank",
		GrantTypes: []string{keypad.GrantAuthorizationCode, keypad.GrantRefreshToken, keypad.GrantClientCredentials},
		Scopes:     []string{"api:read", "offline_access"}, RedirectURIs: []string{e.callback.URL + "/callback"},
		Options: keypad.ClientOptions{Profile: keypad.ProfileFAPI2, TokenEndpointAuthMethod: keypad.AuthMethodPrivateKeyJWT,
			AssertionKeys: json.RawMessage(key.JWKS("k1")), DPoP: keypad.DPoPRequired, RequirePAR: true,
			Audiences: []string{energy, billing}}}
	must(t, c.Validate())
	must(t, e.st.CreateClient(t.Context(), c))
	verifier, challenge := pkce()
	params := func(resource ...string) url.Values {
		return url.Values{"response_type": {"code"}, "redirect_uri": {e.callback.URL + "/callback"}, "scope": {"api:read"},
			"state": {"st-aud"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "resource": resource}
	}
	audOf := func(t *testing.T, at string) []string {
		t.Helper()
		in, err := e.srv.Tokens().Introspect(t.Context(), at)
		if err != nil || !in.Active {
			t.Fatalf("introspect: %+v, %v", in, err)
		}
		return in.Aud
	}

	t.Run("ErrPushWithoutResource", func(t *testing.T) {
		wantErr(t, e.fapiPost(oauth.PathPAR, params(), key, nil), oauth.CodeInvalidTarget)
	})
	t.Run("ErrPushOtherResource", func(t *testing.T) {
		wantErr(t, e.fapiPost(oauth.PathPAR, params(energy, "https://evil.example.com/"), key, nil), oauth.CodeInvalidTarget)
	})
	t.Run("OKPushedAndExchanged", func(t *testing.T) {
		r := e.fapiPost(oauth.PathPAR, params(energy), key, nil)
		if r.status != http.StatusCreated {
			t.Fatalf("push: %d %s", r.status, r.raw)
		}
		cb := e.agent().authorize(parURL(e, "bank", r.str("request_uri")), "alice", alicePassword, "approve")
		tok := e.fapiPost(oauth.PathToken, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
			"code_verifier": {verifier}, "redirect_uri": {e.callback.URL + "/callback"}}, key, dk)
		wantOK(t, tok)
		if aud := audOf(t, tok.str("access_token")); !slices.Equal(aud, []string{energy}) {
			t.Errorf("aud = %v, want [%s]", aud, energy)
		}
	})
	cc := func(resource ...string) tokenResponse {
		return e.fapiPost(oauth.PathToken, url.Values{"grant_type": {"client_credentials"}, "resource": resource}, key, dk)
	}
	t.Run("ErrClientCredentialsWithoutResource", func(t *testing.T) {
		wantErr(t, cc(), oauth.CodeInvalidTarget)
	})
	t.Run("ErrClientCredentialsOtherResource", func(t *testing.T) {
		wantErr(t, cc("https://evil.example.com/"), oauth.CodeInvalidTarget)
	})
	t.Run("OKClientCredentials", func(t *testing.T) {
		r := cc(billing)
		wantOK(t, r)
		if aud := audOf(t, r.str("access_token")); !slices.Equal(aud, []string{billing}) {
			t.Errorf("aud = %v, want [%s]", aud, billing)
		}
	})
}
