package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2/jwt"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
)

// testKeys are a partner's keys; RSA keys are slow to make, so the tests
// share them.
var testKeys = sync.OnceValue(func() struct {
	rsa   *rsa.PrivateKey
	ec    *ecdsa.PrivateKey
	p384  *ecdsa.PrivateKey
	small *rsa.PrivateKey
} {
	r, err1 := rsa.GenerateKey(rand.Reader, 2048)
	ec, err2 := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, err3 := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	small, err4 := rsa.GenerateKey(rand.Reader, 1024)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		panic(fmt.Sprint(err1, err2, err3, err4))
	}
	return struct {
		rsa   *rsa.PrivateKey
		ec    *ecdsa.PrivateKey
		p384  *ecdsa.PrivateKey
		small *rsa.PrivateKey
	}{r, ec, p384, small}
})

// tempFile writes content to name in a temporary directory and returns
// its path.
func tempFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// publicPEM is the PKIX PEM of pub, as a partner hands it over.
func publicPEM(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// rsaThumbprint is the RFC 7638 thumbprint of an RSA key, computed here
// the way the RFC's example does, independently of keypad.
func rsaThumbprint(pub *rsa.PublicKey) string {
	b64 := base64.RawURLEncoding.EncodeToString
	canon := fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`, b64(big.NewInt(int64(pub.E)).Bytes()), b64(pub.N.Bytes()))
	sum := sha256.Sum256([]byte(canon))
	return b64(sum[:])
}

// TestClientAssertionKeysFromPEM: a partner registered from a PEM public
// key through the CLI gets a token from the real server with
// golang.org/x/oauth2/jwt, and the registration shows in get, update and
// --json.
func TestClientAssertionKeysFromPEM(t *testing.T) {
	keys := testKeys()
	e := migrated(t)
	pemFile := tempFile(t, "acme.pem", publicPEM(t, &keys.rsa.PublicKey))
	c := mustJSON[clientJSON](t, e, "client", "create", "--id", "acme", "--name", "Acme", "--grant-types", "jwt-bearer",
		"--scopes", "usage:read", "--assertion-keys", pemFile, "--json")
	kid := rsaThumbprint(&keys.rsa.PublicKey)
	if c.AssertionIssuer != "acme" || len(c.AssertionKeys) != 1 || c.AssertionKeys[0] != (assertionKeyJSON{Kid: kid, Alg: "RS256", Thumbprint: kid}) {
		t.Fatalf("created assertion_issuer %q, keys %+v; want acme and one RS256 key whose kid is its thumbprint %s", c.AssertionIssuer, c.AssertionKeys, kid)
	}
	text := strings.Join(strings.Fields(mustRun(t, e, "", "client", "get", "acme")), " ")
	for _, want := range []string{"assertion_issuer: acme (the client ID)", "assertion_keys: " + kid + " (RS256)"} {
		if !strings.Contains(text, want) {
			t.Errorf("client get printed\n%s\nwant it to contain %q", text, want)
		}
	}
	mustRun(t, e, "", "user", "create", "--username", "alice", "--name", "Alice")

	s := startServe(t, e)
	base := s.srv.URL()
	conf := &jwt.Config{
		Email: "acme", Subject: "alice", PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(keys.rsa)}),
		PrivateKeyID: kid, Scopes: []string{"usage:read"}, TokenURL: base + "/oauth2/token",
		PrivateClaims: map[string]any{"jti": "cli-e2e-1"},
	}
	tok, err := conf.TokenSource(context.Background()).Token()
	if err != nil {
		t.Fatalf("x/oauth2/jwt against keypad serve: %v", err)
	}
	in := introspect(t, base, "acme", c.ClientSecret, tok.AccessToken)
	alice := mustJSON[map[string]any](t, e, "user", "get", "alice", "--json")
	if !in.Active || in.ClientID != "acme" || in.Scope != "usage:read" || in.Sub == "" || in.Sub != alice["id"] {
		t.Errorf("introspection = %+v, want active, client acme, scope usage:read, sub %v", in, alice["id"])
	}

	// Rotate to an EC key given as a JWK Set.
	ecJWK := map[string]any{"kty": "EC", "crv": "P-256", "kid": "acme-2031", "alg": "ES256"}
	raw, _ := keys.ec.PublicKey.Bytes()
	ecJWK["x"], ecJWK["y"] = base64.RawURLEncoding.EncodeToString(raw[1:33]), base64.RawURLEncoding.EncodeToString(raw[33:])
	doc, _ := json.Marshal(map[string]any{"keys": []any{ecJWK}})
	u := mustJSON[clientJSON](t, e, "client", "update", "acme", "--assertion-keys", tempFile(t, "acme.jwks", doc), "--json")
	if len(u.AssertionKeys) != 1 || u.AssertionKeys[0].Kid != "acme-2031" || u.AssertionKeys[0].Alg != "ES256" {
		t.Errorf("after update: keys %+v; want only the ES256 key acme-2031", u.AssertionKeys)
	}
	// The old key stops working once the update reaches the server's
	// client cache (within the change bound).
	attempt := 0
	eventually(t, "replaced RSA key refused", func() bool {
		attempt++
		conf.PrivateClaims["jti"] = fmt.Sprintf("cli-e2e-2-%d", attempt)
		_, err := conf.TokenSource(context.Background()).Token()
		return err != nil && strings.Contains(err.Error(), "names no key registered")
	})
	// An update of something else keeps the keys.
	u = mustJSON[clientJSON](t, e, "client", "update", "acme", "--assertion-issuer", "https://acme.example", "--json")
	if u.AssertionIssuer != "https://acme.example" || len(u.AssertionKeys) != 1 {
		t.Errorf("after setting the issuer: issuer %q, keys %+v; want https://acme.example and the key kept", u.AssertionIssuer, u.AssertionKeys)
	}
	if _, err := run(t, e, "", "client", "update", "acme", "--assertion-keys", "none"); err == nil ||
		!strings.Contains(err.Error(), "--assertion-keys is required with jwt-bearer") {
		t.Errorf("removing the keys of a jwt-bearer client = %v, want it refused", err)
	}
	if u := mustJSON[clientJSON](t, e, "client", "update", "acme", "--assertion-keys", "none", "--grant-types", "client_credentials", "--json"); u.AssertionKeys != nil || u.AssertionIssuer != "" {
		t.Errorf("after removing the keys: %+v", u)
	}
}

// TestClientAssertionKeysRefused: registration refuses what the grant
// could not use, or must never hold, and says why.
func TestClientAssertionKeysRefused(t *testing.T) {
	keys := testKeys()
	privDER, _ := x509.MarshalPKCS8PrivateKey(keys.rsa)
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk := func(m map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"keys": []any{m}})
		return b
	}
	n := base64.RawURLEncoding.EncodeToString(keys.rsa.N.Bytes())
	tests := []struct {
		name    string
		file    []byte // nil: no --assertion-keys
		issuer  string
		want    string
		wantErr bool
	}{
		{"OKSingleJWK", []byte(`{"kty":"RSA","n":"` + n + `","e":"AQAB"}`), "", "", false},
		{"OKCertificateAndKey", append(selfSigned(t, keys.ec), publicPEM(t, &keys.rsa.PublicKey)...), "", "", false},
		{"ErrNoKeys", nil, "", "--assertion-keys is required with jwt-bearer", true},
		{"ErrPrivatePEM", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), "", "holds a private key (PRIVATE KEY)", true},
		{"ErrPrivateJWK", jwk(map[string]any{"kty": "RSA", "n": n, "e": "AQAB", "d": "AQAB"}), "", `holds private or symmetric key material ("d")`, true},
		{"ErrSymmetricJWK", jwk(map[string]any{"kty": "oct", "k": "c2VjcmV0"}), "", `holds private or symmetric key material ("k")`, true},
		{"OKEd25519JWK", jwk(map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}), "", "", false},
		{"OKEd25519PEM", publicPEM(t, edPub), "", "", false},
		{"ErrX25519", jwk(map[string]any{"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}), "", "only Ed25519 (EdDSA) is accepted", true},
		{"ErrP384PEM", publicPEM(t, &keys.p384.PublicKey), "", "only P-256 (ES256) is accepted", true},
		{"ErrSmallRSA", publicPEM(t, &keys.small.PublicKey), "", "RSA key has 1024 bits; RS256 and PS256 need 2048", true},
		{"ErrAlgMismatch", jwk(map[string]any{"kty": "RSA", "n": n, "e": "AQAB", "alg": "ES256"}), "", `"alg" is "ES256", but a RSA key here signs RS256 or PS256 only`, true},
		{"ErrEncryptionKey", jwk(map[string]any{"kty": "RSA", "n": n, "e": "AQAB", "use": "enc"}), "", `"use" is "enc"`, true},
		{"ErrDuplicateKid", []byte(`{"keys":[{"kty":"RSA","n":"` + n + `","e":"AQAB","kid":"a"},{"kty":"RSA","n":"` + n + `","e":"AQAB","kid":"a"}]}`), "", `kid "a" is used twice`, true},
		{"ErrEmptySet", []byte(`{"keys":[]}`), "", "the JWK Set has no keys", true},
		{"ErrNotKeys", []byte("hello"), "", "neither a JWK Set (JSON) nor PEM", true},
		{"ErrIssuerSpaces", jwk(map[string]any{"kty": "RSA", "n": n, "e": "AQAB"}), " https://acme.example", "--assertion-issuer: \" https://acme.example\" is not a usable issuer", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := clientSpec{ClientSpec: manage.ClientSpec{Name: "Acme", GrantTypes: []string{"jwt-bearer"}, AssertionIssuer: tt.issuer}}
			if tt.file != nil {
				spec.AssertionKeys = tempFile(t, "keys", tt.file)
			}
			c, err := spec.client()
			switch {
			case !tt.wantErr && err != nil:
				t.Fatalf("client() = %v, want nil", err)
			case tt.wantErr && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("client() = %v, want an error containing %q", err, tt.want)
			case !tt.wantErr:
				stored, err := keypad.ParseAssertionKeys(c.Options.AssertionKeys)
				if want := strings.Count(string(tt.file), "-----BEGIN "); err != nil || len(stored) != max(want, 1) {
					t.Errorf("stored %d keys (%v), want %d", len(stored), err, max(want, 1))
				}
			}
		})
	}
}

// selfSigned is a PEM certificate for key, as partners often send.
func selfSigned(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestAssertionKeysEd25519PEM: an Ed25519 PEM public key is registered as
// an OKP JWK for EdDSA, named by its RFC 8037 thumbprint.
func TestAssertionKeysEd25519PEM(t *testing.T) {
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := readAssertionKeys(tempFile(t, "ed.pem", publicPEM(t, edPub)))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keypad.ParseAssertionKeys(doc)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + b64(edPub) + `"}`))
	k := keys[0]
	if got, ok := k.Key.(ed25519.PublicKey); !ok || !got.Equal(edPub) || k.ID != b64(sum[:]) || k.Thumbprint != k.ID ||
		len(k.Algs) != 1 || k.Algs[0] != "EdDSA" {
		t.Errorf("registered %+v, want the Ed25519 key for EdDSA with its thumbprint %s as kid", k, b64(sum[:]))
	}
}
