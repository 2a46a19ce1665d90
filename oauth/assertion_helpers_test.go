package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/keypadauth/keypad"
)

// partnerKeys are a partner's signing keys. RSA keys are slow to make, so
// every test shares one set.
type partnerKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	ec        *ecdsa.PrivateKey
}

var sharedPartnerKeys = sync.OnceValue(func() *partnerKeys {
	r1, err1 := rsa.GenerateKey(rand.Reader, 2048)
	r2, err2 := rsa.GenerateKey(rand.Reader, 2048)
	ec, err3 := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err1 != nil || err2 != nil || err3 != nil {
		panic(fmt.Sprint("generate partner keys: ", err1, err2, err3))
	}
	return &partnerKeys{rsa: r1, rsa2: r2, ec: ec}
})

const (
	partnerIss = "https://partner.example.com"
	// directID is a partner whose client ID is its assertion issuer, so
	// it may present assertions without client authentication.
	directID = "acme-partner"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkOf is pub as a public JWK, with kid when not empty.
func jwkOf(pub crypto.PublicKey, kid string) map[string]any {
	var m map[string]any
	switch p := pub.(type) {
	case *rsa.PublicKey:
		m = map[string]any{"kty": "RSA", "n": b64(p.N.Bytes()), "e": b64(big.NewInt(int64(p.E)).Bytes())}
	case *ecdsa.PublicKey:
		raw, _ := p.Bytes()
		m = map[string]any{"kty": "EC", "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])}
	case ed25519.PublicKey:
		m = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(p)}
	}
	if kid != "" {
		m["kid"] = kid
	}
	return m
}

// jwks is a JWK Set document of keys.
func jwks(keys ...map[string]any) json.RawMessage {
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

// signJWS makes a compact JWS of header and claims: RS256 or ES256 by the
// key's type, HS256 with hmacKey, or no signature for a nil key.
func signJWS(key crypto.Signer, hmacKey []byte, header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(in))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sig, _ = rsa.SignPKCS1v15(nil, k, crypto.SHA256, sum[:])
	case *ecdsa.PrivateKey:
		r, s, _ := ecdsa.Sign(rand.Reader, k, sum[:])
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case nil:
		if hmacKey != nil {
			m := hmac.New(sha256.New, hmacKey)
			m.Write([]byte(in))
			sig = m.Sum(nil)
		}
	}
	return in + "." + b64(sig)
}

// assertionEnv is a server with the grant on, alice, and three clients:
// "partner" (issuer partnerIss, an RSA key "r1" and an EC key "e1"),
// directID (issuer = its ID, an RSA key without kid) and "svc" (keys but
// only client_credentials).
type assertionEnv struct {
	*env
	keys    *partnerKeys
	secrets map[string]string
	jti     atomic.Int64
}

func newAssertionEnv(t *testing.T) *assertionEnv {
	t.Helper()
	e := newEnv(t).mustRebuild(func(c *Config, _ *Deps) { c.JWTBearer = &JWTBearerConfig{} })
	e.start()
	a := &assertionEnv{env: e, keys: sharedPartnerKeys(), secrets: map[string]string{}}
	ctx := context.Background()
	now := e.clk.Now()
	if err := e.st.CreateSubject(ctx, &keypad.Subject{ID: "sub-alice", Username: "alice", ExternalID: "CUST-1001",
		Name: "Alice", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	bearer := []string{keypad.GrantJWTBearer}
	a.secrets["partner"] = e.mustClient(&keypad.Client{ID: "partner", Name: "Partner", GrantTypes: bearer,
		Scopes: []string{"read", "write"}, TokenFormat: keypad.FormatJWT, Options: keypad.ClientOptions{
			AssertionIssuer: partnerIss,
			AssertionKeys:   jwks(jwkOf(&a.keys.rsa.PublicKey, "r1"), jwkOf(&a.keys.ec.PublicKey, "e1")),
		}})
	a.secrets[directID] = e.mustClient(&keypad.Client{ID: directID, Name: "Acme", GrantTypes: bearer,
		Scopes: []string{"read"}, TokenFormat: keypad.FormatJWT, Options: keypad.ClientOptions{
			AssertionKeys: jwks(jwkOf(&a.keys.rsa.PublicKey, "")),
		}})
	a.secrets["svc"] = e.mustClient(&keypad.Client{ID: "svc", Name: "Service", GrantTypes: []string{keypad.GrantClientCredentials},
		Scopes: []string{"read"}, TokenFormat: keypad.FormatJWT, Options: keypad.ClientOptions{
			AssertionIssuer: partnerIss, AssertionKeys: jwks(jwkOf(&a.keys.rsa.PublicKey, "r1")),
		}})
	return a
}

// claims are valid claims of "partner" for alice, each with a new jti.
func (a *assertionEnv) claims() map[string]any {
	now := a.clk.Now()
	return map[string]any{
		"iss": partnerIss, "sub": "alice", "aud": testIssuer + PathToken,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"jti": fmt.Sprintf("jti-%d", a.jti.Add(1)),
	}
}

// rs256 signs claims with the partner's RSA key "r1".
func (a *assertionEnv) rs256(claims map[string]any) string {
	return signJWS(a.keys.rsa, nil, map[string]any{"alg": "RS256", "kid": "r1", "typ": "JWT"}, claims)
}

// exchange presents an assertion as client (Basic authentication; none
// when client is ""), with more form parameters from extra.
func (a *assertionEnv) exchange(client, assertion string, extra url.Values) response {
	a.t.Helper()
	form := url.Values{"grant_type": {keypad.GrantJWTBearer}, "assertion": {assertion}}
	for k, v := range extra {
		form[k] = v
	}
	var edit func(*http.Request)
	if client != "" {
		edit = basic(client, a.secrets[client])
	}
	return a.post(PathToken, form, edit)
}

// bearerEvents reads the jwt_bearer flow event counter.
func bearerEvents(t *testing.T, e *env, event string) float64 {
	t.Helper()
	var m dto.Metric
	if err := e.metrics.FlowEvents.WithLabelValues("jwt_bearer", event).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// rsaPEM is the PKCS #8 PEM of a private key, as a partner keeps it.
func rsaPEM(t *testing.T, k *rsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
