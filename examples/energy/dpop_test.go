package energy

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keypadauth/keypad/internal/dpoptest"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token/jose"
)

// dpopToken gets username's access token through a --dpop required
// client with the password grant and a proof of key; proof false sends
// none.
func (k *testKeypad) dpopToken(t *testing.T, clientID, username string, key *dpoptest.Key, proof bool) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {username}, "password": {testPassword}, "scope": {"usage:read"}}
	req, _ := http.NewRequest("POST", k.url+oauth.PathToken, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(k.secrets[clientID]))
	if proof {
		req.Header.Set("DPoP", key.Proof(t, "POST", k.url+oauth.PathToken, "", k.clock.Now(), nil))
	}
	res, err := (&http.Client{Transport: k.transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

// call calls the API at path with scheme and tok, and a proof of key
// (none when key is nil) that edit may spoil; proof, when not empty, is
// sent instead.
func (e *env) call(t *testing.T, path, scheme, tok string, key *dpoptest.Key, edit func(*dpoptest.Parts), proof string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.api.URL+path, nil)
	req.Header.Set("Authorization", scheme+" "+tok)
	if key != nil {
		proof = key.Proof(t, "GET", e.api.URL+path, tok, e.clock.Now(), edit)
	}
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("WWW-Authenticate")
}

// TestDPoP: with RequireDPoP the API serves only DPoP-bound tokens (of
// clients keypad makes use DPoP, --dpop required), JWT or opaque, each
// call with a fresh proof of the token's key naming the token; the rs
// package refuses everything else.
func TestDPoP(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RequireDPoP = true })
	key, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.EdDSA)
	path := "/api/usage-points"

	if status, body := e.kp.dpopToken(t, appDPoP, "heather", key, false); status != http.StatusBadRequest || body["error"] != "invalid_dpop_proof" {
		t.Fatalf("a --dpop required client without a proof got %d %v, want 400 invalid_dpop_proof", status, body)
	}
	tokens := map[string]string{}
	for _, app := range []string{appDPoP, appDPoPOpaque} {
		status, body := e.kp.dpopToken(t, app, "heather", key, true)
		if status != http.StatusOK || body["token_type"] != "DPoP" {
			t.Fatalf("%s with a proof: %d %v, want a DPoP token", app, status, body)
		}
		tokens[app] = body["access_token"].(string)
	}
	for app, tok := range tokens {
		t.Run("OK"+app, func(t *testing.T) {
			if status, ch := e.call(t, path, "DPoP", tok, key, nil, ""); status != http.StatusOK {
				t.Fatalf("bound token with its proof: %d %q", status, ch)
			}
		})
	}
	tok := tokens[appDPoP]
	replayed := key.Proof(t, "GET", e.api.URL+path, tok, e.clock.Now(), nil)
	if status, _ := e.call(t, path, "DPoP", tok, nil, nil, replayed); status != http.StatusOK {
		t.Fatalf("first use of a proof: %d", status)
	}
	tests := []struct {
		name, scheme, tok string
		key               *dpoptest.Key
		edit              func(*dpoptest.Parts)
		proof             string
		want              string
	}{
		{"ErrReplayedProof", "DPoP", tok, nil, nil, replayed, `error="invalid_dpop_proof"`},
		{"ErrBoundTokenAsBearer", "Bearer", tok, nil, nil, "", `error="invalid_token"`},
		{"ErrNoProof", "DPoP", tok, nil, nil, "", `error="invalid_dpop_proof"`},
		{"ErrMissingATH", "DPoP", tok, key, func(p *dpoptest.Parts) { delete(p.Claims, "ath") }, "", `error="invalid_dpop_proof"`},
		{"ErrWrongHTU", "DPoP", tok, key, func(p *dpoptest.Parts) { p.Claims["htu"] = e.api.URL + "/api/other" }, "", `error="invalid_dpop_proof"`},
		{"ErrAnotherKey", "DPoP", tok, other, nil, "", `error="invalid_token"`},
		{"ErrBearerTokenOfAnotherClient", "Bearer", e.token(t, "heather"), nil, nil, "", `error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ch := e.call(t, path, tt.scheme, tt.tok, tt.key, tt.edit, tt.proof)
			if status != http.StatusUnauthorized || !strings.Contains(ch, tt.want) || !strings.HasPrefix(ch, "DPoP ") {
				t.Errorf("got %d %q, want 401 with a DPoP challenge and %s", status, ch, tt.want)
			}
		})
	}
}

// TestDPoPOptional: without RequireDPoP bearer tokens still work, and a
// bound token still needs its proof.
func TestDPoPOptional(t *testing.T) {
	e := newEnv(t, nil)
	key := dpoptest.NewKey(t, jose.ES256)
	path := "/api/usage-points"
	if status, _ := e.call(t, path, "Bearer", e.token(t, "heather"), nil, nil, ""); status != http.StatusOK {
		t.Errorf("bearer token: %d, want 200", status)
	}
	_, body := e.kp.dpopToken(t, appDPoP, "heather", key, true)
	tok, _ := body["access_token"].(string)
	if status, _ := e.call(t, path, "Bearer", tok, nil, nil, ""); status != http.StatusUnauthorized {
		t.Errorf("bound token as a bearer token: %d, want 401", status)
	}
	if status, _ := e.call(t, path, "DPoP", tok, key, nil, ""); status != http.StatusOK {
		t.Errorf("bound token with its proof: %d, want 200", status)
	}
}

// TestDPoPClients: a client listed in DPoPClients gets nothing for a
// bearer token, while other clients' bearer tokens still work and a
// bound token of a listed client works with its proof.
func TestDPoPClients(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DPoPClients = []string{appJWT, appDPoP} })
	path := "/api/usage-points"
	status, ch := e.call(t, path, "Bearer", e.token(t, "heather"), nil, nil, "")
	if status != http.StatusUnauthorized || !strings.Contains(ch, `error="invalid_token"`) {
		t.Errorf("bearer token of a DPoP client: %d %q, want 401 invalid_token", status, ch)
	}
	if status, ch := e.call(t, path, "Bearer", e.kp.token(t, appOpaque, "heather", ""), nil, nil, ""); status != http.StatusOK {
		t.Errorf("bearer token of another client: %d %q, want 200", status, ch)
	}
	key := dpoptest.NewKey(t, jose.ES256)
	_, body := e.kp.dpopToken(t, appDPoP, "heather", key, true)
	tok, _ := body["access_token"].(string)
	if status, ch := e.call(t, path, "DPoP", tok, key, nil, ""); status != http.StatusOK {
		t.Errorf("bound token of a DPoP client with its proof: %d %q, want 200", status, ch)
	}
}
