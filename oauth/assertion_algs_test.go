package oauth

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/keypadauth/keypad"
)

// goJoseAssertion signs claims with go-jose, independent of keypad's JWS
// code, as a partner would.
func goJoseAssertion(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims jwt.Claims) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAssertionGrantPS256EdDSA runs the JWT bearer grant end to end with
// PS256 and EdDSA assertions signed by go-jose (issue 11), and refuses
// the alg confusions: a PS256 assertion for an RSA key registered with
// alg RS256, and an ES256 header naming an Ed25519 key.
func TestAssertionGrantPS256EdDSA(t *testing.T) {
	a := newAssertionEnv(t)
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaOnly := jwkOf(&a.keys.rsa2.PublicKey, "r2")
	rsaOnly["alg"] = "RS256"
	a.secrets["modern"] = a.mustClient(&keypad.Client{ID: "modern", Name: "Modern", GrantTypes: []string{keypad.GrantJWTBearer},
		Scopes: []string{"read"}, TokenFormat: keypad.FormatJWT, Options: keypad.ClientOptions{
			AssertionIssuer: "https://modern.example.com",
			AssertionKeys:   jwks(jwkOf(&a.keys.rsa.PublicKey, "r1"), rsaOnly, jwkOf(edPub, "d1")),
		}})
	claims := func(jti string) jwt.Claims {
		now := a.clk.Now()
		return jwt.Claims{Issuer: "https://modern.example.com", Subject: "alice", Audience: jwt.Audience{testIssuer + PathToken},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)), ID: jti}
	}
	for _, tc := range []struct {
		name, kid string
		alg       jose.SignatureAlgorithm
		key       any
	}{
		{"PS256", "r1", jose.PS256, a.keys.rsa},
		{"EdDSA", "d1", jose.EdDSA, edPriv},
		{"EdDSANoKid", "", jose.EdDSA, edPriv},
	} {
		t.Run("OK"+tc.name, func(t *testing.T) {
			r := a.exchange("modern", goJoseAssertion(t, tc.alg, tc.key, tc.kid, claims("ok-"+tc.name)), nil)
			if r.status != http.StatusOK || r.body["access_token"] == nil {
				t.Fatalf("got %d %s, want a token", r.status, r.raw)
			}
		})
	}
	t.Run("ErrPS256WithRS256Key", func(t *testing.T) {
		r := a.exchange("modern", goJoseAssertion(t, jose.PS256, a.keys.rsa2, "r2", claims("err-ps")), nil)
		if r.status != http.StatusBadRequest || r.body["error"] != "invalid_grant" ||
			!strings.Contains(r.raw, "verifies RS256, but the assertion says alg PS256") {
			t.Fatalf("got %d %s, want invalid_grant naming the key's RS256", r.status, r.raw)
		}
	})
	t.Run("ErrES256HeaderEd25519Key", func(t *testing.T) {
		c := claims("err-es")
		body := map[string]any{"iss": c.Issuer, "sub": c.Subject, "aud": testIssuer + PathToken,
			"iat": c.IssuedAt.Time().Unix(), "exp": c.Expiry.Time().Unix(), "jti": c.ID}
		// An ES256 header over an Ed25519 signature by the key "d1".
		forged := signJWS(nil, nil, map[string]any{"alg": "ES256", "kid": "d1"}, body)
		input := forged[:strings.LastIndexByte(forged, '.')]
		forged = input + "." + b64(ed25519.Sign(edPriv, []byte(input)))
		r := a.exchange("modern", forged, nil)
		if r.status != http.StatusBadRequest || r.body["error"] != "invalid_grant" ||
			!strings.Contains(r.raw, "verifies EdDSA, but the assertion says alg ES256") {
			t.Fatalf("got %d %s, want invalid_grant naming the key's EdDSA", r.status, r.raw)
		}
	})
}

// TestClientAssertionPS256EdDSA authenticates private_key_jwt clients
// with PS256 and EdDSA assertions signed by go-jose, at the token
// endpoint and at introspection.
func TestClientAssertionPS256EdDSA(t *testing.T) {
	k := newKeyJWTEnv(t)
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := service("kjd", keypad.FormatOpaque, "read")
	c.Name = "kjd"
	c.Options = keypad.ClientOptions{TokenEndpointAuthMethod: keypad.AuthMethodPrivateKeyJWT,
		AssertionKeys: jwks(jwkOf(&k.keys.rsa.PublicKey, "r1"), jwkOf(edPub, "d1"))}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	k.secrets["kjd"] = k.mustClient(c)
	for _, tc := range []struct {
		name, kid string
		key       any
		alg       jose.SignatureAlgorithm
	}{
		{"PS256", "r1", k.keys.rsa, jose.PS256},
		{"EdDSA", "d1", edPriv, jose.EdDSA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jc := newJoseClient(t, "kjd", tc.key, tc.alg, tc.kid, k.clk.Now, k.ts.URL)
			tok := jc.post(t, PathToken, url.Values{"grant_type": {keypad.GrantClientCredentials}, "scope": {"read"}})
			at, _ := tok["access_token"].(string)
			if !strings.HasPrefix(at, "kp_at_") {
				t.Fatalf("token response %v has no opaque access token", tok)
			}
			in := jc.post(t, PathIntrospect, url.Values{"token": {at}})
			if in["active"] != true || in["client_id"] != "kjd" {
				t.Fatalf("introspection = %v, want the token active for kjd", in)
			}
		})
	}
}
