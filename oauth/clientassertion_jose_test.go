package oauth

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/keypadauth/keypad"
)

// joseClient is a private_key_jwt client as a partner would write it with
// go-jose, independent of keypad's own JWS code: it signs a fresh
// assertion for every request.
type joseClient struct {
	id     string
	signer jose.Signer
	now    func() time.Time
	base   string // where requests go (the test server)
	issuer string // the issuer, whose endpoint URLs are the assertions' aud
}

func newJoseClient(t *testing.T, id string, key any, alg jose.SignatureAlgorithm, kid string, now func() time.Time, base string) *joseClient {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	return &joseClient{id: id, signer: s, now: now, base: base, issuer: testIssuer}
}

// post sends form to path, authenticated by a client assertion whose aud
// is that endpoint's URL.
func (c *joseClient) post(t *testing.T, path string, form url.Values) map[string]any {
	t.Helper()
	jti := make([]byte, 16)
	rand.Read(jti)
	now := c.now()
	a, err := jwt.Signed(c.signer).Claims(jwt.Claims{
		Issuer: c.id, Subject: c.id, Audience: jwt.Audience{c.issuer + path},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)),
		ID: fmt.Sprintf("%x", jti),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", a)
	resp, err := http.PostForm(c.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %v", path, resp.StatusCode, body)
	}
	return body
}

// TestClientAssertionGoJose runs private_key_jwt end to end with a
// go-jose client, ES256 and RS256, at the token endpoint and at
// introspection; keys inline and at a jwks_uri.
func TestClientAssertionGoJose(t *testing.T) {
	k := newKeyJWTEnv(t, allowPrivate)
	js := newJWKSServer(t, jwks(jwkOf(&k.keys.rsa.PublicKey, "r1")), "max-age=300")
	k.addJWKSClient(t, js.ts.URL+"/jwks")
	for _, tc := range []struct {
		name, id, kid string
		key           any
		alg           jose.SignatureAlgorithm
	}{
		{"ES256Inline", "kj", "e1", k.keys.ec, jose.ES256},
		{"RS256Inline", "kj", "r1", k.keys.rsa, jose.RS256},
		{"RS256JWKSURI", "kju", "r1", k.keys.rsa, jose.RS256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newJoseClient(t, tc.id, tc.key, tc.alg, tc.kid, k.clk.Now, k.ts.URL)
			tok := c.post(t, PathToken, url.Values{"grant_type": {keypad.GrantClientCredentials}, "scope": {"read"}})
			at, _ := tok["access_token"].(string)
			if !strings.HasPrefix(at, "kp_at_") {
				t.Fatalf("token response %v has no opaque access token", tok)
			}
			in := c.post(t, PathIntrospect, url.Values{"token": {at}})
			if in["active"] != true || in["client_id"] != tc.id || in["scope"] != "read" {
				t.Fatalf("introspection = %v, want the token active for %s with scope read", in, tc.id)
			}
		})
	}
	if n := js.fetches.Load(); n != 1 {
		t.Errorf("jwks_uri fetched %d times for two requests, want 1 (cached)", n)
	}
}
