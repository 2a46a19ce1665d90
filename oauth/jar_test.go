package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/internal/dpoptest"
	"github.com/keypadauth/keypad/internal/nodetest"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token/jose"
)

// jarClient registers "jarapp", which signs request objects with key.
func (e *flowEnv) jarClient(key *dpoptest.Key) {
	e.t.Helper()
	e.client(&keypad.Client{ID: "jarapp", Name: "Signed App", GrantTypes: []string{keypad.GrantAuthorizationCode},
		Scopes: []string{"openid", "api:read"}, RedirectURIs: []string{e.callback.URL + "/callback"},
		Options: keypad.ClientOptions{AssertionKeys: json.RawMessage(key.JWKS("k1"))}})
}

// requestClaims are a good request object's claims for jarapp.
func (e *flowEnv) requestClaims(challenge string) map[string]any {
	now := e.clk.Now()
	return map[string]any{
		"iss": "jarapp", "aud": e.ts.URL, "exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Unix(),
		"client_id": "jarapp", "response_type": "code", "redirect_uri": e.callback.URL + "/callback",
		"scope": "openid api:read", "state": "st-signed", "code_challenge": challenge, "code_challenge_method": "S256",
	}
}

// jarExchange exchanges jarapp's code.
func (e *flowEnv) jarExchange(code, verifier string) tokenResponse {
	e.t.Helper()
	return e.post(oauth.PathToken, "jarapp", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {e.callback.URL + "/callback"}})
}

var jarHeader = map[string]any{"alg": "ES256", "kid": "k1", "typ": "oauth-authz-req+jwt"}

// TestJAR: a request object signed with the client's registered key
// carries the request, by value or pushed, and nothing outside it counts;
// one that fails a check of RFC 9101 §6 is refused on a page.
func TestJAR(t *testing.T) {
	e := newFlowEnv(t)
	key, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256)
	e.jarClient(key)
	verifier, challenge := pkce()

	t.Run("OKByValue", func(t *testing.T) {
		obj := key.JWT(t, jarHeader, e.requestClaims(challenge))
		u := e.authURL(url.Values{"client_id": {"jarapp"}, "request": {obj}, "state": {"outside"}, "scope": {"api:read"}})
		cb := e.agent().authorize(u, "alice", alicePassword, "approve")
		if cb.Query().Get("state") != "st-signed" {
			t.Errorf("callback %s: want the object's state, not the one outside it", cb)
		}
		r := e.jarExchange(cb.Query().Get("code"), verifier)
		wantOK(t, r)
		if r.str("scope") != "openid api:read" || r.str("id_token") == "" {
			t.Errorf("tokens %s: want the object's scope (openid api:read)", r.raw)
		}
	})
	t.Run("OKPushed", func(t *testing.T) {
		obj := key.JWT(t, jarHeader, e.requestClaims(challenge))
		r := e.post(oauth.PathPAR, "jarapp", url.Values{"request": {obj}})
		if r.status != http.StatusCreated {
			t.Fatalf("push of a request object: %d %s", r.status, r.raw)
		}
		cb := e.agent().authorize(parURL(e, "jarapp", r.str("request_uri")), "alice", alicePassword, "approve")
		wantOK(t, e.jarExchange(cb.Query().Get("code"), verifier))
	})
	bad := []struct {
		name  string
		key   *dpoptest.Key
		edit  func(h, c map[string]any)
		outer string // client_id outside
	}{
		{"ErrSignature", other, nil, "jarapp"},
		{"ErrIss", key, func(h, c map[string]any) { c["iss"] = "webapp" }, "jarapp"},
		{"ErrAud", key, func(h, c map[string]any) { c["aud"] = "https://other.example" }, "jarapp"},
		{"ErrExpired", key, func(h, c map[string]any) { c["exp"] = e.clk.Now().Add(-2 * time.Minute).Unix() }, "jarapp"},
		{"ErrNoExp", key, func(h, c map[string]any) { delete(c, "exp") }, "jarapp"},
		{"ErrNbfAhead", key, func(h, c map[string]any) { c["nbf"] = e.clk.Now().Add(10 * time.Minute).Unix() }, "jarapp"},
		{"ErrTooLong", key, func(h, c map[string]any) { c["exp"] = e.clk.Now().Add(2 * time.Hour).Unix() }, "jarapp"},
		{"ErrTyp", key, func(h, c map[string]any) { h["typ"] = "dpop+jwt" }, "jarapp"},
		{"ErrAlgNone", key, func(h, c map[string]any) { h["alg"] = "none" }, "jarapp"},
		{"ErrClientIDInside", key, func(h, c map[string]any) { c["client_id"] = "webapp" }, "jarapp"},
		{"ErrClientIDOutside", key, nil, "webapp"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			h, c := map[string]any{}, e.requestClaims(challenge)
			for k, v := range jarHeader {
				h[k] = v
			}
			if tt.edit != nil {
				tt.edit(h, c)
			}
			obj := tt.key.JWT(t, h, c)
			pg := e.agent().do("GET", e.authURL(url.Values{"client_id": {tt.outer}, "request": {obj}}), nil)
			if pg.status != http.StatusBadRequest || pg.location != "" {
				t.Errorf("authorize: %d (Location %q), want a 400 page", pg.status, pg.location)
			}
			if tt.outer != "jarapp" {
				return
			}
			if r := e.post(oauth.PathPAR, "jarapp", url.Values{"request": {obj}}); r.status != http.StatusBadRequest || r.str("error") != oauth.CodeInvalidRequestObject {
				t.Errorf("push: %d %s, want 400 invalid_request_object", r.status, r.raw)
			}
		})
	}
	t.Run("Metadata", func(t *testing.T) {
		m := e.discovery()
		if m["request_parameter_supported"] != true || len(toStrings(m["request_object_signing_alg_values_supported"])) != 4 {
			t.Errorf("metadata: request_parameter_supported %v, algs %v", m["request_parameter_supported"], m["request_object_signing_alg_values_supported"])
		}
	})
}

// TestJARInteropOpenIDClient: openid-client 6.8.9's
// buildAuthorizationUrlWithJAR signs the request with the client's key;
// keypad verifies it with the registered public key.
func TestJARInteropOpenIDClient(t *testing.T) {
	e := newFlowEnv(t, func(s *flowSettings) { s.now = time.Now })
	key := dpoptest.NewKey(t, jose.ES256)
	e.jarClient(key)
	priv := key.PrivateJWK(t)
	priv["kid"] = "k1"
	jwk, err := json.Marshal(priv)
	must(t, err)
	verifier, challenge := pkce()
	out := nodetest.Run(t, "testdata/jar_openid_client.mjs", e.ts.URL, "jarapp", e.secrets["jarapp"], string(jwk), e.callback.URL+"/callback", challenge)
	u, err := url.Parse(strings.TrimSpace(string(out)))
	must(t, err)
	if u.Query().Get("request") == "" || u.Query().Get("client_id") != "jarapp" {
		t.Fatalf("openid-client's URL %s: want client_id and request", u)
	}
	cb := e.agent().authorize(u.String(), "alice", alicePassword, "approve")
	wantOK(t, e.jarExchange(cb.Query().Get("code"), verifier))
}
