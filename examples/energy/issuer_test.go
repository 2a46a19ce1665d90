package energy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fakeIssuer is an HTTP peer speaking keypad's wire format for what the
// API uses: RFC 8414 metadata, a JWKS, RFC 7662 introspection.
type fakeIssuer struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	keys        map[string]crypto.Signer // published, by kid
	opaque      map[string]map[string]any
	jwksHits    int
	introHits   int
	introClient string
	introSecret string
}

func newFakeIssuer(t *testing.T) *fakeIssuer {
	t.Helper()
	f := &fakeIssuer{t: t, keys: map[string]crypto.Signer{}, opaque: map[string]map[string]any{},
		introClient: "energy-api", introSecret: "kp_cs_s3cret/+="}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{
			"issuer":                 f.srv.URL,
			"jwks_uri":               f.srv.URL + "/.well-known/jwks.json",
			"introspection_endpoint": f.srv.URL + "/oauth2/introspect",
		})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", f.jwks)
	mux.HandleFunc("POST /oauth2/introspect", f.introspect)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIssuer) jwks(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwksHits++
	keys := []map[string]string{}
	for kid, k := range f.keys {
		switch pub := k.Public().(type) {
		case *ecdsa.PublicKey:
			b, _ := pub.Bytes()
			keys = append(keys, map[string]string{"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
				"x": b64(b[1:33]), "y": b64(b[33:])})
		case *rsa.PublicKey:
			keys = append(keys, map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
				"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())})
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

func (f *fakeIssuer) introspect(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.introHits++
	id, secret, ok := r.BasicAuth()
	if !ok || id != "energy-api" || secret != "kp_cs_s3cret%2F%2B%3D" { // form-encoded per RFC 6749 §2.3.1
		w.Header().Set("WWW-Authenticate", `Basic realm="keypad"`)
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
		return
	}
	claims, ok := f.opaque[r.PostFormValue("token")]
	if !ok {
		claims = map[string]any{"active": false}
	}
	json.NewEncoder(w).Encode(claims)
}

func (f *fakeIssuer) hits() (jwks, intro int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jwksHits, f.introHits
}

// publish adds a key to the JWKS.
func (f *fakeIssuer) publish(kid string, k crypto.Signer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[kid] = k
}

// addOpaque makes introspection answer claims for tok.
func (f *fakeIssuer) addOpaque(tok string, claims map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opaque[tok] = claims
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signJWT builds a compact JWS with the given header and claims, signed
// by k (nil: no signature, as alg "none" has).
func signJWT(t *testing.T, k crypto.Signer, header, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	if k == nil {
		return input + "."
	}
	digest := sha256.Sum256([]byte(input))
	switch key := k.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return input + "." + b64(sig)
	case *rsa.PrivateKey:
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		return input + "." + b64(sig)
	}
	t.Fatalf("unsupported key %T", k)
	return ""
}

func mustECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func mustRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	})
	return rsaKey
}
