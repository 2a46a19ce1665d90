// Package dpoptest makes DPoP proofs (RFC 9449 §4.2) for tests: a
// client's key of any algorithm keypad accepts, and proofs a test may
// spoil in any part, so the tests of the server, of resource servers and
// of clients share one independent signer.
package dpoptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/keypadauth/keypad/token/jose"
)

// Key is a client's DPoP key: it makes proofs and lets a test spoil any
// part of one.
type Key struct {
	Alg  string
	priv crypto.Signer
	// JKT is the key's RFC 7638 thumbprint, computed by token/jose.
	JKT string
	jwk map[string]any
	n   int
}

// NewKey makes a fresh key for alg (ES256, RS256, PS256 or EdDSA).
func NewKey(t testing.TB, alg string) *Key {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256, jose.PS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("no test key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := jose.PublicMembers(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	jwk := map[string]any{"kty": m.Kty}
	for k, v := range map[string]string{"crv": m.Crv, "x": m.X, "y": m.Y, "n": m.N, "e": m.E} {
		if v != "" {
			jwk[k] = v
		}
	}
	return &Key{Alg: alg, priv: priv, JKT: m.Thumbprint(), jwk: jwk}
}

// Parts are the header and claims of a proof before signing; a
// test's edit may change them.
type Parts struct {
	Header, Claims map[string]any
	// Sign, when set, replaces the signature (alg none, HS256, garbage).
	Sign func(input []byte) []byte
}

// Proof returns a proof for htm and htu at now, with a fresh jti; token,
// when not empty, is named in ath. edit may spoil it.
func (k *Key) Proof(t testing.TB, htm, htu, token string, now time.Time, edit func(*Parts)) string {
	t.Helper()
	k.n++
	p := &Parts{
		Header: map[string]any{"typ": "dpop+jwt", "alg": k.Alg, "jwk": k.jwk},
		Claims: map[string]any{"jti": fmt.Sprintf("jti-%s-%d-%s", k.JKT[:8], k.n, rand.Text()), "htm": htm, "htu": htu, "iat": now.Unix()},
	}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		p.Claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if edit != nil {
		edit(p)
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(p.Header) + "." + enc(p.Claims)
	var sig []byte
	if p.Sign != nil {
		sig = p.Sign([]byte(input))
	} else {
		sig = k.sign(t, []byte(input))
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (k *Key) sign(t testing.TB, input []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(input)
	var sig []byte
	var err error
	switch p := k.priv.(type) {
	case *ecdsa.PrivateKey:
		r, s, e := ecdsa.Sign(rand.Reader, p, sum[:])
		sig, err = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...), e
	case *rsa.PrivateKey:
		if k.Alg == jose.PS256 {
			sig, err = rsa.SignPSS(rand.Reader, p, crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, p, crypto.SHA256, sum[:])
		}
	case ed25519.PrivateKey:
		sig = ed25519.Sign(p, input)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// PrivateJWK returns the key's JWK with its private part "d" (EC keys).
func (k *Key) PrivateJWK(t testing.TB) map[string]any {
	t.Helper()
	p, ok := k.priv.(*ecdsa.PrivateKey)
	if !ok {
		t.Fatalf("PrivateJWK wants an ES256 key")
	}
	d, err := p.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{"d": base64.RawURLEncoding.EncodeToString(d)}
	for k, v := range k.jwk {
		m[k] = v
	}
	return m
}

// HS256 signs with an HMAC key, as an attacker choosing alg would.
func HS256(input []byte) []byte {
	m := hmac.New(sha256.New, []byte("guessed"))
	m.Write(input)
	return m.Sum(nil)
}

// PublicJWK returns the key's public JWK, as a proof's header carries it.
func (k *Key) PublicJWK() map[string]any { return k.jwk }

// JWT signs header and claims with the key as they are (alg and kid are
// the caller's to set): a request object, an assertion, any JWS.
func (k *Key) JWT(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	return k.Proof(t, "", "", "", time.Time{}, func(p *Parts) { p.Header, p.Claims = header, claims })
}

// JWKS returns the key's public JWK Set with kid, as a client registers it.
func (k *Key) JWKS(kid string) []byte {
	m := map[string]any{"kid": kid}
	for n, v := range k.jwk {
		m[n] = v
	}
	b, _ := json.Marshal(map[string]any{"keys": []any{m}})
	return b
}
