package jose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
)

// VerifySignature checks an RS256 (PKCS #1 v1.5) or ES256 (R||S, RFC 7518
// §3.4) signature over a SHA-256 digest. The key decides the algorithm:
// a caller first checks that the header's alg is the key's, so "none" or
// an HMAC alg naming a public key never gets this far.
func VerifySignature(key crypto.PublicKey, sum, sig []byte) bool {
	switch p := key.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(p, crypto.SHA256, sum, sig) == nil
	case *ecdsa.PublicKey:
		if len(sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(p, sum, r, s)
	}
	return false
}

// Verify checks the signature sig of a JWS of algorithm alg over its
// signing input (header.claims, RFC 7515 §5.2) with key. The algorithm
// must be one of Algorithms and belong to the key's type: RS256 and PS256
// an RSA key, ES256 an EC P-256 key, EdDSA an Ed25519 key; anything else,
// "none" and HS256 included, verifies nothing. A caller also checks that
// the key's JWK allows alg (PublicKey.Verifies).
func Verify(alg string, key crypto.PublicKey, signingInput, sig []byte) bool {
	switch alg {
	case RS256, ES256:
		if _, ok := key.(ed25519.PublicKey); ok {
			return false
		}
		if _, ok := key.(*rsa.PublicKey); ok != (alg == RS256) {
			return false
		}
		if p, ok := key.(*ecdsa.PublicKey); ok && p.Curve != elliptic.P256() {
			return false
		}
		sum := sha256.Sum256(signingInput)
		return VerifySignature(key, sum[:], sig)
	case PS256:
		p, ok := key.(*rsa.PublicKey)
		if !ok {
			return false
		}
		sum := sha256.Sum256(signingInput)
		return rsa.VerifyPSS(p, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	case EdDSA:
		p, ok := key.(ed25519.PublicKey)
		if !ok || len(p) != ed25519.PublicKeySize {
			return false
		}
		return ed25519.Verify(p, signingInput, sig)
	}
	return false
}

// Object decodes one JSON object (a JOSE header, a JWT claims set) into
// its members, refusing a member named twice — two parsers could read
// different values from it — and anything after the object.
func Object(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("want an object")
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("bad JSON")
		}
		name, _ := t.(string)
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("member '%s' appears twice", name)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("bad JSON")
		}
		m[name] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("bad JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the object")
	}
	return m, nil
}
