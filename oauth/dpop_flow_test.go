package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keypadauth/keypad/internal/dpoptest"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token/jose"
)

// dpopExchange runs the native app's (public) or the web app's
// (confidential) sign-in and exchanges the code with a proof of k.
func (e *flowEnv) dpopSignIn(client string, k *dpoptest.Key, scope string) tokenResponse {
	e.t.Helper()
	verifier, challenge := pkce()
	redirect := e.callback.URL + "/callback"
	if client == "native" {
		redirect = "http://127.0.0.1:" + strings.Split(e.callback.Listener.Addr().String(), ":")[1] + "/cb"
	}
	p := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect},
		"scope": {scope}, "state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	code := e.agent().code(p, "alice", alicePassword)
	r := e.postWith(oauth.PathToken, client, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {redirect}}, e.dpopHeader(k, "POST", oauth.PathToken, ""))
	wantOK(e.t, r)
	if r.str("token_type") != "DPoP" {
		e.t.Fatalf("token_type = %q, want DPoP", r.str("token_type"))
	}
	return r
}

// dpopHeader adds a proof of k (none when k is nil) for method and path.
func (e *flowEnv) dpopHeader(k *dpoptest.Key, method, path, token string) func(*http.Request) {
	return func(r *http.Request) {
		if k != nil {
			r.Header.Set("DPoP", k.Proof(e.t, method, e.ts.URL+path, token, e.clk.Now(), nil))
		}
	}
}

// dpopUserinfo calls userinfo with scheme and, when k is set, a proof
// that edit may spoil.
func (e *flowEnv) dpopUserinfo(scheme, tok string, k *dpoptest.Key, edit func(*dpoptest.Parts)) tokenResponse {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.ts.URL+oauth.PathUserinfo, nil)
	must(e.t, err)
	req.Header.Set("Authorization", scheme+" "+tok)
	if k != nil {
		req.Header.Set("DPoP", k.Proof(e.t, "GET", e.ts.URL+oauth.PathUserinfo, tok, e.clk.Now(), edit))
	}
	res, err := http.DefaultClient.Do(req)
	must(e.t, err)
	res.Body.Close()
	return tokenResponse{status: res.StatusCode, header: res.Header}
}

// otherFirst is s with its first character changed (a fixed replacement
// would leave the one s in 64 that starts with it unchanged).
func otherFirst(s string) string {
	if s[0] == 'x' {
		return "y" + s[1:]
	}
	return "x" + s[1:]
}

// TestDPoPUserinfo: a DPoP-bound token works at userinfo only with scheme
// DPoP and a proof of its key naming it in ath (RFC 9449 §7).
func TestDPoPUserinfo(t *testing.T) {
	e := newFlowEnv(t)
	k, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256)
	at := e.dpopSignIn("webapp", k, "openid profile").str("access_token")
	bearer := e.signIn("openid").str("access_token")
	challenge := func(r tokenResponse) string { return r.header.Get("WWW-Authenticate") }

	if r := e.dpopUserinfo("DPoP", at, k, nil); r.status != http.StatusOK {
		t.Fatalf("DPoP token with a good proof: %d %s", r.status, challenge(r))
	}
	tests := []struct {
		name, scheme, tok string
		key               *dpoptest.Key
		edit              func(*dpoptest.Parts)
		want              string // the error in WWW-Authenticate
	}{
		{"ErrBoundTokenAsBearer", "Bearer", at, nil, nil, `DPoP algs="ES256 RS256 PS256 EdDSA", error="invalid_token"`},
		{"ErrNoProof", "DPoP", at, nil, nil, `error="invalid_dpop_proof"`},
		{"ErrMissingATH", "DPoP", at, k, func(p *dpoptest.Parts) { delete(p.Claims, "ath") }, `error="invalid_dpop_proof"`},
		{"ErrWrongATH", "DPoP", at, k, func(p *dpoptest.Parts) { p.Claims["ath"] = otherFirst(p.Claims["ath"].(string)) }, `error="invalid_dpop_proof"`},
		{"ErrWrongHTM", "DPoP", at, k, func(p *dpoptest.Parts) { p.Claims["htm"] = "POST" }, `error="invalid_dpop_proof"`},
		{"ErrAnotherKey", "DPoP", at, other, func(p *dpoptest.Parts) {}, `error="invalid_token"`},
		{"ErrBearerTokenAsDPoP", "DPoP", bearer, k, nil, `error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.dpopUserinfo(tt.scheme, tt.tok, tt.key, tt.edit)
			if r.status != http.StatusUnauthorized || !strings.Contains(challenge(r), tt.want) {
				t.Errorf("got %d %q, want 401 with %s", r.status, challenge(r), tt.want)
			}
		})
	}
	t.Run("ErrReplayedProof", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.ts.URL+oauth.PathUserinfo, nil)
		req.Header.Set("Authorization", "DPoP "+at)
		req.Header.Set("DPoP", k.Proof(t, "GET", e.ts.URL+oauth.PathUserinfo, at, e.clk.Now(), nil))
		for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
			res, err := http.DefaultClient.Do(req)
			must(t, err)
			res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("use %d of one proof: %d, want %d", i+1, res.StatusCode, want)
			}
		}
	})
}

// TestDPoPRefresh: a public client's refresh token is bound to the key of
// the code exchange, a confidential client's is not (its client
// authentication constrains it); either way the new access token is
// bound to the key of the refresh request's proof.
func TestDPoPRefresh(t *testing.T) {
	e := newFlowEnv(t)
	k, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.RS256)
	refresh := func(client, rt string, key *dpoptest.Key) tokenResponse {
		return e.postWith(oauth.PathToken, client, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
			e.dpopHeader(key, "POST", oauth.PathToken, ""))
	}
	t.Run("PublicClientBound", func(t *testing.T) {
		rt := e.dpopSignIn("native", k, "api:read offline_access").str("refresh_token")
		if cnf, _ := e.introspect(rt)["cnf"].(map[string]any); cnf["jkt"] != k.JKT {
			t.Errorf("introspected refresh token cnf = %v, want jkt %s", cnf, k.JKT)
		}
		wantErr(t, refresh("native", rt, other), oauth.CodeInvalidGrant)
		wantErr(t, refresh("native", rt, nil), oauth.CodeInvalidGrant)
		r := refresh("native", rt, k)
		wantOK(t, r)
		if r.str("token_type") != "DPoP" {
			t.Errorf("refresh with the key: token_type %q, want DPoP", r.str("token_type"))
		}
	})
	t.Run("ConfidentialClientNotBound", func(t *testing.T) {
		rt := e.dpopSignIn("webapp", k, "api:read offline_access").str("refresh_token")
		r := refresh("webapp", rt, other)
		wantOK(t, r)
		_, claims := e.verifyJWT(r.str("access_token"))
		if cnf, _ := claims["cnf"].(map[string]any); cnf["jkt"] != other.JKT {
			t.Errorf("access token after refresh with another key: cnf %v, want jkt %s", cnf, other.JKT)
		}
	})
}
